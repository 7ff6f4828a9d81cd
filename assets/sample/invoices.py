#!/usr/bin/env python3
"""invoices.py: computes the notice date and the final invoice for a terminated account."""

import datetime

NOTICE_DAYS = 30


class Account:
    def __init__(self, name, monthly_fee):
        self.name = name
        self.monthly_fee = monthly_fee

    def final_invoice(self, days_used):
        """Pro-rated fee for the last month of service."""
        return round(self.monthly_fee * days_used / 30, 2)


def notice_date(terminated_on):
    """The last day of service after a termination notice."""
    return terminated_on + datetime.timedelta(days=NOTICE_DAYS)
