#!/usr/bin/env python3
"""tests/make_tiny_model.py FIXTURE TOKENIZER_DIR OUT [--ctx N]: a model folder for the tests
that need a whole checkpoint with a real tokenizer: the fixture's weights (linked, not copied),
its config (with --ctx: the context stretched to N by YaRN) and the DeepSeek-V3 tokenizer cut
to the fixture's vocabulary, the two chat tokens moved into it."""
import json
import os
import sys

KEEP = 996  # the tiny fixtures' vocabulary


def main():
    args = sys.argv[1:]
    ctx = None
    if '--ctx' in args:
        i = args.index('--ctx')
        ctx = int(args[i + 1])
        del args[i:i + 2]
    fx, src, dst = args
    os.makedirs(dst, exist_ok=True)
    for f in ('model.safetensors.index.json', 'model-00001-of-00002.safetensors',
              'model-00002-of-00002.safetensors'):
        os.symlink(os.path.join(fx, f), os.path.join(dst, f))
    c = json.load(open(os.path.join(fx, 'config.json')))
    if ctx:
        c['rope_scaling']['factor'] = ctx // c['rope_scaling'].get(
            'original_max_position_embeddings', 64)
        c['max_position_embeddings'] = ctx
    json.dump(c, open(os.path.join(dst, 'config.json'), 'w'))
    t = json.load(open(os.path.join(src, 'tokenizer.json')))
    t['model']['vocab'] = {s: i for s, i in t['model']['vocab'].items() if i < KEEP}
    v = t['model']['vocab']
    t['model']['merges'] = [m for m in t['model']['merges']
                            if (m if isinstance(m, str) else ' '.join(m)).replace(' ', '') in v]
    moved = {'<｜User｜>': KEEP, '<｜Assistant｜>': KEEP + 1}
    for a in t['added_tokens']:
        a['id'] = moved.get(a['content'], a['id'])
    t['added_tokens'] = [a for a in t['added_tokens'] if a['id'] < KEEP + 2]
    json.dump(t, open(os.path.join(dst, 'tokenizer.json'), 'w'), ensure_ascii=False)
    json.dump(json.load(open(os.path.join(src, 'tokenizer_config.json'))),
              open(os.path.join(dst, 'tokenizer_config.json'), 'w'))


main()
