/* ledger.c: a tiny double-entry ledger used in the sample library. */
#include <stdio.h>

#define MAX_ENTRIES 64

struct entry {
    const char *account;
    long cents; /* positive: debit, negative: credit */
};

static struct entry ledger[MAX_ENTRIES];
static int n_entries;

/* Records one posting; returns -1 when the ledger is full. */
int ledger_post(const char *account, long cents)
{
    if (n_entries == MAX_ENTRIES) return -1;
    ledger[n_entries].account = account;
    ledger[n_entries].cents = cents;
    n_entries++;
    return 0;
}

/* The balance of all postings: zero when every debit has its credit. */
long ledger_balance(void)
{
    long sum = 0;
    for (int i = 0; i < n_entries; i++) sum += ledger[i].cents;
    return sum;
}
