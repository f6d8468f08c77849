# bash completion for mkbootimg: subcommands, options, files, and block
# devices for `mkbootimg install`. Installed as
# share/bash-completion/completions/mkbootimg.

_mkbootimg()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=build
	if [[ $COMP_CWORD -gt 1 ]]; then
		case ${COMP_WORDS[1]} in
		run|install|info) cmd=${COMP_WORDS[1]} ;;
		esac
	fi

	# Options that take an argument.
	case $prev in
	-o|--output|--module)
		COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
	--machine) COMPREPLY=($(compgen -W "q35 pc" -- "$cur")); return ;;
	--accel) COMPREPLY=($(compgen -W "auto kvm tcg" -- "$cur")); return ;;
	--qemu) COMPREPLY=($(compgen -c -- "$cur")); return ;;
	--stack-size) COMPREPLY=($(compgen -W "64K 128K 256K 1M" -- "$cur")); return ;;
	--framebuffer) COMPREPLY=($(compgen -W "0 640x480x32 800x600x32 1024x768x32" -- "$cur")); return ;;
	--memory) COMPREPLY=($(compgen -W "128M 256M 512M 1024M" -- "$cur")); return ;;
	--cmdline|--timeout|--success-exit-code) return ;;
	esac

	local common="--cmdline --stack-size --module --framebuffer --help"
	local opts
	case $cmd in
	build) opts="-o --output -v --verbose -V --version $common" ;;
	run) opts="--test --timeout --success-exit-code --machine --memory --accel --qemu --gdb
		   --headless --dry-run -v --verbose -q --quiet $common" ;;
	install) opts="--list --force --yes --no-verify -n --dry-run -v --verbose $common" ;;
	info) opts="--json --cmdline --stack-size --framebuffer --help" ;;
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
		# The second operand of install is a whole disk: offer block devices.
		local operands=0
		for ((i = 2; i < COMP_CWORD; i++)); do
			[[ ${COMP_WORDS[i]} != -* ]] && operands=$((operands + 1))
		done
		if [[ $operands -ge 1 ]]; then
			local devs
			devs=$(lsblk -dnpo NAME 2>/dev/null)
			COMPREPLY=($(compgen -W "$devs" -- "$cur"))
			return
		fi
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
	compopt -o filenames 2>/dev/null
}
complete -F _mkbootimg mkbootimg
