# bash completion for mailmerge(1).  make install puts it in
# $(PREFIX)/share/bash-completion/completions/mailmerge.

_mailmerge()
{
	local cur prev verb i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	verb=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) verb=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $verb ]]; then
		COMPREPLY=($(compgen -W 'init preview send check report bounces relay
		    help --help -V --version' -- "$cur"))
		return
	fi
	case $prev in
	-o|--output)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-c|--config|-r|--report|--mbox|--failed-csv|--html)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--encoding)
		COMPREPLY=($(compgen -W 'UTF-8 CP949 EUC-KR UTF-16' -- "$cur"))
		return ;;
	--delimiter)
		COMPREPLY=($(compgen -W ', ; tab' -- "$cur")); return ;;
	--rate)
		COMPREPLY=($(compgen -W '10/min 20/min 100/h 500/day' -- "$cur"))
		return ;;
	-n|--limit|--test-to|--sheet|--account|--since)
		return ;;
	esac
	local opts=
	case $verb in
	init) opts='--help' ;;
	preview) opts='-o --output --mbox -c --config -n --limit
	    --skip-invalid --encoding --delimiter --sheet --help' ;;
	send) opts='-c --config -r --report --resume --rate -n --limit --trace
	    -y --yes --test-to --skip-invalid --encoding --delimiter --sheet
	    --help' ;;
	check) opts='-c --config --trace --help' ;;
	report) opts='--failed-csv --json --html --help' ;;
	bounces) opts='-c --config -r --report --account --since --json
	    --dry-run --help' ;;
	relay) opts='-c --config -r --report --listen --once --trace --help' ;;
	help)
		COMPREPLY=($(compgen -W 'init preview send check report bounces relay' \
		    -- "$cur"))
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ $verb == init ]]; then
		COMPREPLY=($(compgen -d -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _mailmerge mailmerge
