#!/usr/bin/env bash
# Check, and on Debian or Ubuntu install, what mkbootimg needs to build and test.
#
#   scripts/deps.sh               report what is there, install what is missing
#   scripts/deps.sh --if-missing  say nothing and do nothing when all is there
#                                 (make run and make check call it this way)
#
# Required: a C compiler (cc), make, nasm, pkg-config, libelf, cmocka,
# qemu-system-x86_64, python3, and clang with lld-link (lld), which build the
# UEFI loader (BOOTX64.EFI). Optional: OVMF, the UEFI firmware for QEMU, for
# `mkbootimg run --firmware uefi` and the UEFI tests; for the tests that build
# kernels with another linker: ld.lld; for the tests of `mkbootimg install`
# on loop devices: losetup, mkfs.ext4; for the image layout checks: sgdisk
# (gdisk), fsck.fat (dosfstools), mdir and mcopy (mtools); for the zsh
# completion test: zsh; for the `run --gdb` tests: gdb. On Debian and Ubuntu the optional ones are installed
# too, so that `make check` runs every test (CI relies on it).
# With --bench, also what `make bench` uses: GRUB's grub-mkrescue (with
# xorriso and mtools) for the comparison with GRUB, and gnuplot for the plot.
#
# On Debian and Ubuntu the missing packages are installed with apt-get (through
# sudo when not root). Elsewhere the script prints the install command for the
# system's package manager and exits 1 if something required is missing.

set -eu

quiet=0
bench=0
for arg in "$@"; do
	case "$arg" in
	--if-missing) quiet=1 ;;
	--bench) bench=1 ;;
	-h | --help)
		sed -n '2,22s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "usage: scripts/deps.sh [--if-missing] [--bench]" >&2
		exit 2
		;;
	esac
done

# Each dependency: name, how it is checked, whether it is required (1), optional
# (0) or for the benchmark only (b), and its package on Debian, Fedora, Arch
# and Homebrew. "-" means no package there.
#   name        check                  req  debian           fedora               arch      brew
deps_table='
cc           cmd:cc                 1    build-essential  gcc                  gcc       -
make         cmd:make               1    build-essential  make                 make      -
nasm         cmd:nasm               1    nasm             nasm                 nasm      nasm
pkg-config   cmd:pkg-config         1    pkg-config       pkgconf-pkg-config   pkgconf   pkg-config
libelf       pc:libelf              1    libelf-dev       elfutils-libelf-devel libelf   libelf
cmocka       pc:cmocka              1    libcmocka-dev    libcmocka-devel      cmocka    cmocka
qemu         cmd:qemu-system-x86_64 1    qemu-system-x86  qemu-system-x86      qemu-system-x86 qemu
python3      cmd:python3            1    python3          python3              python    python
clang        cmd:clang              1    clang            clang                clang     llvm
lld-link     cmd:lld-link           1    lld              lld                  lld       lld
ovmf         ovmf                   0    ovmf             edk2-ovmf            edk2-ovmf qemu
ld.lld       cmd:ld.lld             0    lld              lld                  lld       lld
losetup      cmd:losetup            0    mount            util-linux           util-linux -
mkfs.ext4    cmd:mkfs.ext4          0    e2fsprogs        e2fsprogs            e2fsprogs -
sgdisk       cmd:sgdisk             0    gdisk            gdisk                gptfdisk  gptfdisk
fsck.fat     cmd:fsck.fat           0    dosfstools       dosfstools           dosfstools dosfstools
mtools       cmd:mdir               0    mtools           mtools               mtools    mtools
zsh          cmd:zsh                0    zsh              zsh                  zsh       zsh
mandoc       cmd:mandoc             0    mandoc           mandoc               mandoc    mandoc
gdb          cmd:gdb                0    gdb              gdb                  gdb       gdb
cppcheck     cmd:cppcheck           0    cppcheck         cppcheck             cppcheck  cppcheck
clang-tidy   cmd:clang-tidy         0    clang-tidy       clang-tools-extra    clang     llvm
grub         cmd:grub-mkrescue      b    grub-pc-bin      grub2-tools-extra    grub      -
xorriso      cmd:xorriso            b    xorriso          xorriso              libisoburn xorriso
gnuplot      cmd:gnuplot            b    gnuplot-nox      gnuplot              gnuplot   gnuplot
'

say() {
	if [ "$quiet" -eq 0 ]; then
		printf '%s\n' "$*"
	fi
}

# OVMF's code file, where `mkbootimg run` looks for it (tool/run/firmware.c),
# or where MKBOOTIMG_OVMF_CODE says.
have_ovmf() {
	if [ -n "${MKBOOTIMG_OVMF_CODE-}" ]; then
		[ -r "$MKBOOTIMG_OVMF_CODE" ]
		return
	fi
	for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd \
		/usr/share/edk2/ovmf/OVMF_CODE.fd /usr/share/edk2/x64/OVMF_CODE.4m.fd \
		/usr/share/edk2-ovmf/x64/OVMF_CODE.fd /usr/share/qemu/edk2-x86_64-code.fd \
		"${HOMEBREW_PREFIX:-/opt/homebrew}/share/qemu/edk2-x86_64-code.fd" \
		/usr/local/share/qemu/edk2-x86_64-code.fd; do
		if [ -r "$f" ]; then
			return 0
		fi
	done
	return 1
}

have() {
	case "$1" in
	cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 ;;
	pc:*) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "${1#pc:}" ;;
	ovmf) have_ovmf ;;
	esac
}

# Package manager: the first one found decides which column is used.
if command -v apt-get >/dev/null 2>&1; then
	system=debian
elif command -v dnf >/dev/null 2>&1; then
	system=fedora
elif command -v pacman >/dev/null 2>&1; then
	system=arch
elif command -v brew >/dev/null 2>&1; then
	system=brew
else
	system=unknown
fi

missing_required=""
missing_optional=""
packages=""
add_package() {
	case " $packages " in
	*" $1 "*) ;;
	*) packages="${packages:+$packages }$1" ;;
	esac
}

while read -r name check required debian fedora arch brew; do
	[ -n "$name" ] || continue
	if [ "$required" = b ]; then
		[ "$bench" -eq 1 ] || continue
		required=0
	fi
	if have "$check"; then
		say "found    $name"
		continue
	fi
	if [ "$required" -eq 1 ]; then
		say "missing  $name"
		missing_required="${missing_required:+$missing_required }$name"
	else
		say "missing  $name (optional)"
		missing_optional="${missing_optional:+$missing_optional }$name"
	fi
	case "$system" in
	debian) pkg=$debian ;;
	fedora) pkg=$fedora ;;
	arch) pkg=$arch ;;
	brew) pkg=$brew ;;
	*) pkg=- ;;
	esac
	if [ "$pkg" != - ]; then
		add_package "$pkg"
	fi
done <<EOF
$deps_table
EOF

if [ -z "$missing_required$missing_optional" ]; then
	say "All dependencies are installed."
	exit 0
fi

all_missing="$missing_required${missing_required:+${missing_optional:+ }}$missing_optional"

if [ "$system" = debian ]; then
	# Without recommends, QEMU has no window of its own: add it on a desktop.
	case " $packages " in
	*" qemu-system-x86 "*)
		if [ -n "${DISPLAY-}${WAYLAND_DISPLAY-}" ]; then
			add_package qemu-system-gui
		fi
		;;
	esac
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		if [ "$quiet" -eq 1 ] && [ -z "$missing_required" ]; then
			exit 0
		fi
		echo "mkbootimg: installing needs root, and sudo is not installed. As root, run:" >&2
		echo "  apt-get update && apt-get install -y $packages" >&2
		if [ -n "$missing_required" ]; then
			exit 1
		fi
		exit 0
	fi
	echo "mkbootimg: missing $all_missing; installing with apt-get: $packages"
	# A failed update (offline, a stale mirror) may still leave usable lists.
	if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; then
		echo "mkbootimg: apt-get update failed; trying the install anyway" >&2
	fi
	# shellcheck disable=SC2086 # $packages is a list of words
	if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $packages </dev/null; then
		echo "mkbootimg: apt-get could not install: $packages" >&2
		if [ -n "$missing_required" ]; then
			exit 1
		fi
		exit 0
	fi
	# Check again: every required command and library must now be found.
	still=""
	while read -r name check required _; do
		[ -n "$name" ] || continue
		if [ "$required" = 1 ] && ! have "$check"; then
			still="${still:+$still }$name"
		fi
	done <<EOF
$deps_table
EOF
	if [ -n "$still" ]; then
		echo "mkbootimg: still missing after apt-get install: $still" >&2
		exit 1
	fi
	echo "mkbootimg: dependencies installed"
	exit 0
fi

# Elsewhere, --if-missing stays quiet when only optional tools are missing:
# it cannot install them, and the tests that need them say they were skipped.
if [ "$quiet" -eq 1 ] && [ -z "$missing_required" ]; then
	exit 0
fi

# Not Debian: tell the user what to run.
case "$system" in
fedora) cmd="sudo dnf install -y $packages" ;;
arch) cmd="sudo pacman -S --needed $packages" ;;
brew) cmd="brew install $packages" ;;
*) cmd="" ;;
esac

{
	if [ "$quiet" -eq 1 ]; then
		echo "mkbootimg: missing: $all_missing"
	fi
	if [ "$system" = unknown ]; then
		echo "No known package manager (apt-get, dnf, pacman, brew) was found."
		echo "Install these by hand: $all_missing"
		echo "See README.md, section Dependencies, for package names."
	elif [ -n "$packages" ]; then
		echo "Install the missing dependencies with:"
		echo "  $cmd"
	fi
	if [ "$system" = brew ]; then
		case " $missing_required " in
		*" cc "* | *" make "*)
			echo "The C compiler and make come from the Xcode Command Line Tools:"
			echo "  xcode-select --install"
			;;
		esac
		echo "Note: building the sample and test kernels on macOS also needs an"
		echo "x86_64-elf cross toolchain (for example Homebrew's x86_64-elf-gcc)."
	fi
} >&2

if [ -n "$missing_required" ]; then
	exit 1
fi
exit 0
