/* engine/eng.h: the public interface of folio's inference engine. The engine is split by area;
 * this umbrella header is what other modules include. Each area's header documents ownership
 * and lifetimes of what it hands out. */
#ifndef ENG_H
#define ENG_H

#include "eng_cpu.h"
#include "eng_engine.h"
#include "eng_kvcache.h"
#include "eng_model.h"
#include "eng_tokenizer.h"
#include "eng_chat.h"
#include "eng_ops.h"

#endif
