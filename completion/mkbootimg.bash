# bash completion for mkbootimg: subcommands, options and their values,
# files, and for `mkbootimg install` the disks that `mkbootimg install --list`
# shows. Installed as share/bash-completion/completions/mkbootimg.
#
# The option lists follow `mkbootimg --help` and `mkbootimg COMMAND --help`.

# The disks `install --list` prints (its first column, past the header), never
# the disk that holds the running system's root file system, never zram.
# $1: the mkbootimg being completed (the first word of the command line).
_mkbootimg_disks()
{
	local prog=${1/#\~/$HOME} dev rest root
	if ! command -v -- "$prog" >/dev/null 2>&1; then
		prog=mkbootimg
	fi
	# lsblk -s lists the root file system's device and everything under it:
	# its disks are the system's, through LVM or RAID as well.
	root=$(lsblk -npso NAME,TYPE "$(findmnt -vno SOURCE / 2>/dev/null)" 2>/dev/null |
		while read -r dev rest; do [[ $rest == disk ]] && printf '%s ' "$dev"; done)
	"$prog" install --list 2>/dev/null | while read -r dev rest; do
		case $dev in
		/dev/zram*) ;;
		/dev/*) [[ " $root " == *" $dev "* ]] || printf '%s\n' "$dev" ;;
		esac
	done
}

_mkbootimg()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	# bash splits --option=value at the "=": complete the value all the same.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	fi
	cmd=build
	if [[ $COMP_CWORD -gt 1 ]]; then
		case ${COMP_WORDS[1]} in
		run|install|info) cmd=${COMP_WORDS[1]} ;;
		esac
	fi

	# Options that take an argument.
	case $prev in
	-o|--output|--module|--initrd)
		COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	--protocol) COMPREPLY=($(compgen -W "native multiboot1 multiboot2 linux" -- "$cur")); return ;;
	--firmware) COMPREPLY=($(compgen -W "hybrid bios uefi" -- "$cur")); return ;;
	--machine) COMPREPLY=($(compgen -W "q35 pc" -- "$cur")); return ;;
	--accel) COMPREPLY=($(compgen -W "auto kvm tcg" -- "$cur")); return ;;
	--qemu) COMPREPLY=($(compgen -c -- "$cur")); return ;;
	--smp) COMPREPLY=($(compgen -W "1 2 4 8" -- "$cur")); return ;;
	--serial)
		COMPREPLY=($(compgen -W "stdio none" -- "$cur") $(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null; return ;;
	--stack-size) COMPREPLY=($(compgen -W "64K 128K 256K 1M" -- "$cur")); return ;;
	--framebuffer) COMPREPLY=($(compgen -W "0 640x480x32 800x600x32 1024x768x32" -- "$cur")); return ;;
	--memory) COMPREPLY=($(compgen -W "128M 256M 512M 1024M" -- "$cur")); return ;;
	--base) COMPREPLY=($(compgen -W "0xffffffff80000000" -- "$cur")); return ;;
	--cmdline|--timeout|--success-exit-code) return ;;
	esac

	local common="--cmdline --stack-size --module --initrd --framebuffer --protocol --firmware --base --kaslr
		      -h --help"
	local opts
	case $cmd in
	build) opts="-o --output -v --verbose -q --quiet -V --version $common" ;;
	run) opts="--test --timeout --success-exit-code --machine --memory --smp --serial --accel
		   --qemu --gdb --headless --dry-run -v --verbose -q --quiet $common" ;;
	install) opts="-l --list --force --yes --no-verify -n --dry-run -v --verbose -q --quiet $common" ;;
	info) opts="--json $common" ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY=($(compgen -W "run install info" -- "$cur") $(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
	fi
	if [[ $cmd == install ]]; then
		# IMAGE|KERNEL, then DEVICE: a whole disk from `install --list`, nothing else.
		local operands=0 word
		for ((i = 2; i < COMP_CWORD; i++)); do
			word=${COMP_WORDS[i]}
			case $word in
			--cmdline|--stack-size|--module|--initrd|--framebuffer|--protocol|--firmware|--base)
				[[ ${COMP_WORDS[i+1]} == = ]] && i=$((i + 1))
				i=$((i + 1)) ;;
			-*|=) ;;
			*) operands=$((operands + 1)) ;;
			esac
		done
		if [[ $operands -ge 1 ]]; then
			[[ $operands -eq 1 ]] &&
				COMPREPLY=($(compgen -W "$(_mkbootimg_disks "${COMP_WORDS[0]}")" -- "$cur"))
			return
		fi
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
	compopt -o filenames 2>/dev/null
}
complete -F _mkbootimg mkbootimg
