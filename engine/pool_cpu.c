/* engine/pool_cpu.c: the persistent worker pool every CPU kernel runs on, plus the scratch memory
 * it keeps for kernels (converted activations, per-worker weight tiles) so calls allocate nothing.
 */
#include "ops_int.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* Workers spin this many times for the next task before sleeping: decode issues hundreds of small
 * tasks per token a few microseconds apart, and a sleep/wake round trip costs more than that. */
#define SPIN_ROUNDS 4000

typedef struct worker {
    eng_pool *pool;
    pthread_t thread;
    void *scratch; /* of share ith, whoever runs it */
} worker;

/* A task is nth shares fn(arg, ith, nth). Threads claim shares with one compare-and-swap on
 * `claim` (task number << 32 | next share), so the caller also runs the shares of a worker that
 * has not shown up yet (descheduled on a machine shared with other processes) instead of waiting
 * for it; the task is over when `done` reaches nth. */
struct eng_pool {
    int n;
    worker *w;
    eng_task_fn fn;
    void *arg;
    uint32_t task; /* the caller's task counter */
    _Atomic uint64_t claim;
    _Atomic int done;
    _Atomic int counter; /* work items handed out (pool_counter_next) */
    _Atomic int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sleepers; /* under mu */
    void *shared;
    size_t shared_cap, thread_cap;
    eng_precision prec;
};

/* The next share of task t, or -1 when the task has moved on or every share is taken. Once a
 * share is claimed its task cannot finish before it, so fn/arg read afterwards are its own. */
static int claim_share(eng_pool *p, uint32_t t)
{
    uint64_t c = atomic_load_explicit(&p->claim, memory_order_acquire);
    while ((uint32_t)(c >> 32) == t && (uint32_t)c < (uint32_t)p->n)
        if (atomic_compare_exchange_weak_explicit(&p->claim, &c, c + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return (int)(uint32_t)c;
    return -1;
}

static void run_shares(eng_pool *p, uint32_t t)
{
    for (int ith; (ith = claim_share(p, t)) >= 0;) {
        p->fn(p->arg, ith, p->n);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_acq_rel);
    }
}

static uint32_t current_task(eng_pool *p)
{
    return (uint32_t)(atomic_load_explicit(&p->claim, memory_order_acquire) >> 32);
}

static void *worker_main(void *arg)
{
    worker *me = arg;
    eng_pool *p = me->pool;
    uint32_t seen = 0;
    for (;;) {
        uint32_t t;
        int spins = 0;
        while ((t = current_task(p)) == seen && !atomic_load(&p->stop) && spins < SPIN_ROUNDS) {
            cpu_relax();
            spins++;
        }
        if (t == seen && !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->mu);
            p->sleepers++;
            while ((t = current_task(p)) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->cv, &p->mu);
            p->sleepers--;
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = t;
        run_shares(p, t);
    }
}

/* The cores this process may run on (its affinity mask, e.g. under taskset or a container's
 * cpuset), else the online ones. */
static int usable_cores(void)
{
    cpu_set_t set;
    long n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

eng_pool *eng_pool_create(int nthreads)
{
    eng_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = nthreads > 0 ? nthreads : usable_cores();
    p->w = calloc((size_t)p->n, sizeof *p->w);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (!p->w) {
        eng_pool_destroy(p);
        return NULL;
    }
    p->w[0].pool = p;
    for (int i = 1; i < p->n; i++) {
        p->w[i].pool = p;
        if (pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i])) {
            p->n = i; /* the workers started so far are joined by destroy */
            eng_pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

void eng_pool_destroy(eng_pool *p)
{
    if (!p) return;
    atomic_store(&p->stop, 1);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; p->w && i < p->n; i++) pthread_join(p->w[i].thread, NULL);
    for (int i = 0; p->w && i < p->n; i++) free(p->w[i].scratch);
    free(p->w);
    free(p->shared);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

int eng_pool_size(const eng_pool *p)
{
    return p ? p->n : 1;
}

void eng_pool_run(eng_pool *p, eng_task_fn fn, void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    uint32_t t = ++p->task;
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->claim, (uint64_t)t << 32, memory_order_release);
    pthread_mutex_lock(&p->mu);
    if (p->sleepers) pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    run_shares(p, t);
    /* Only shares already running elsewhere are left: spin briefly, then yield the core. */
    for (long spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < p->n; spins++) {
        if (spins < SPIN_ROUNDS / 16)
            cpu_relax();
        else
            sched_yield();
    }
}

void eng_pool_set_precision(eng_pool *p, eng_precision prec)
{
    if (p) p->prec = prec;
}

eng_precision pool_precision(const eng_pool *p)
{
    return p ? p->prec : ENG_PREC_F32;
}

int pool_reserve(eng_pool *p, size_t shared_bytes, size_t per_thread_bytes)
{
    if (shared_bytes > p->shared_cap) {
        void *s = aligned_alloc(64, (shared_bytes + 63) / 64 * 64);
        if (!s) return -1;
        free(p->shared);
        p->shared = s;
        p->shared_cap = shared_bytes;
    }
    if (per_thread_bytes > p->thread_cap) {
        for (int i = 0; i < p->n; i++) {
            void *s = aligned_alloc(64, (per_thread_bytes + 63) / 64 * 64);
            if (!s) return -1;
            free(p->w[i].scratch);
            p->w[i].scratch = s;
        }
        p->thread_cap = per_thread_bytes;
    }
    return 0;
}

void *pool_shared(eng_pool *p)
{
    return p->shared;
}
void *pool_thread(eng_pool *p, int ith)
{
    return p->w[ith].scratch;
}
void pool_counter_reset(eng_pool *p)
{
    atomic_store_explicit(&p->counter, 0, memory_order_relaxed);
}

int pool_counter_next(eng_pool *p, int step)
{
    return atomic_fetch_add_explicit(&p->counter, step, memory_order_relaxed);
}
