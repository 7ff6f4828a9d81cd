/* app/commands.c: the table of subcommands that main() dispatches on and --help prints.
 * A command marked unavailable is still listed, honestly, so --help never promises more. */
#include "app.h"

#include <string.h>

const app_command app_commands[] = {
    {"index", "PATH... [--db FILE] [--watch] [--json]", "index folders of PDFs, text and code", app_cmd_index, 1},
    {"search", "QUERY [--in FOLDER | --db FILE] [--json] [--raw] [--symbol]",
     "ranked passages with file, page and lines; --symbol: where a name is defined",
     app_cmd_search, 1},
    {"ask", "QUESTION [--in PATH]... [--model DIR] [--json] [-k N]", "answer a question about a library, citing file, page and lines", app_cmd_ask, 1},
    {"summarize", "FILE [--model DIR] [--json] [--length short|medium|long]", "summarize a document: per section, each sentence with its page", app_cmd_summarize, 1},
    {"extract", "FILE|FOLDER [--format json|csv|md|text] [--model DIR] [--category NAME]...", "the 41 CUAD legal clause categories with page citations", app_cmd_extract, 1},
    {"code", "REPO [--def|--refs|--callers|--callees NAME] [QUESTION] [--json]", "definitions, references, callers, a repository map and answers about code", app_cmd_code, 1},
    {"convert", "--model DIR --out DIR [--shard-mb N]", "quantize a BF16 checkpoint to FP8 blocks once", app_cmd_convert, 1},
    {"tokenize", "--tokenizer FILE | --model DIR [--special] [--file F] [--jsonl] [--decode] [--chat FILE]", "encode or decode text with a model's tokenizer", app_cmd_tokenize, 1},
    {"generate", "--model DIR [--chat] [--doc FILE] PROMPT | --input-ids FILE.json", "run the engine directly on a prompt", app_cmd_generate, 1},
    {"model", "info DIR [--json]", "describe a checkpoint: parameters, memory, context", app_cmd_model, 1},
    {"config", "", "the settings in effect and where each comes from", app_cmd_config, 1},
    {"libraries", "[--json] [--forget DIR]", "the libraries you indexed: size, last indexed", app_cmd_libraries, 1},
    {"cache", "[--json] [--clear]", "the engine's prefix (KV) cache on disk: size, --clear", app_cmd_cache, 1},
    {0, 0, 0, 0, 0},
};

int app_not_available(const char *name)
{
    if (!strcmp(name, "tui")) /* the interface has no command name a user would know */
        fprintf(stderr, "folio: the interactive interface is not available yet in this version "
                        "of folio; see 'folio --help' for the commands that are\n");
    else
        fprintf(stderr, "folio: '%s' is not available yet in this version of folio\n", name);
    return APP_EXIT_USAGE;
}
