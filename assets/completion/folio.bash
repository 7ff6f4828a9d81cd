# bash completion for folio, installed as share/bash-completion/completions/folio.
# Commands and options as `folio --help` and `folio COMMAND --help` list them.

_folio_options() {
    case $1 in
    index) echo "--db --watch --json --max-size --no-ignore --all --password --ctags --quiet
                 --verbose --check --rebuild --default-options --help" ;;
    search) echo "--in --db --all --json --raw --symbol --limit --path --type --help" ;;
    libraries) echo "--json --forget --help" ;;
    cache) echo "--json --clear --help" ;;
    config) echo "--help" ;;
    generate) echo "--model --chat --system --doc --input-ids --logits-out --greedy --max-tokens
                    --temperature --top-k --top-p --min-p --seed --stop --ctx --threads --fp8
                    --bf16 --speculative --verbose --kv-dir --kv-mem --kv-disk --kv-type --no-kv-cache --help" ;;
    tokenize) echo "--tokenizer --model --special --no-bos --file --jsonl --decode
                    --skip-special --chat --generation-prompt --help" ;;
    model) echo "info --json --kv-type --help" ;;
    convert) echo "--model --out --shard-mb --help" ;;
    code) echo "--def --refs --callers --callees --budget --model --no-model --limit --db --json
                --help" ;;
    esac
}

_folio() {
    local cur prev cmd i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="index search libraries cache config ask summarize extract code convert tokenize
                    generate model"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
        fi
        return
    fi
    case $prev in
    --in | --forget | --model | --out | --kv-dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    --db | --file | --doc | --input-ids | --logits-out | --tokenizer | --chat)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --type) mapfile -t COMPREPLY < <(compgen -W "pdf text markdown code" -- "$cur"); return ;;
    --ctags) mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur"); return ;;
    --limit | --max-size | --password | --path | --system | --max-tokens | -n | --temperature | \
        --top-k | --top-p | --min-p | --seed | --stop | --ctx | --threads | --kv-mem | \
        --shard-mb | --greedy | --kv-disk) return ;;
    esac
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_folio_options "$cmd")" -- "$cur")
    elif [[ $cmd == index || $cmd == summarize || $cmd == extract || $cmd == code ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}

complete -o filenames -F _folio folio
