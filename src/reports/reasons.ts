// Reason codes of the day's TCA and report: why an order is left out of TCA or a benchmark stood in for
// another. Stable codes, counted in `hf tca` and the daily report.

export const ReportReasons = {
  REPORT_TCA_DENIED: 'denied by pre-trade risk: never reached a venue (left out of TCA)',
  REPORT_TCA_NOT_ROUTED:
    'no venue event and no venue in the OMS record: never reached a venue (left out of TCA)',
  REPORT_TCA_NO_PRICE: 'no quote on the recorded tape at the decision or the arrival time (left out of TCA)',
  REPORT_TCA_DECISION_FROM_ARRIVAL:
    'no quote at the decision time: the arrival mid stands in for the decision price',
  REPORT_TCA_ARRIVAL_FROM_DECISION:
    'no quote at the arrival time or no routed / accepted event: the decision mid stands in for the arrival price',
  REPORT_LEDGER_ENTRY_REFUSED: 'a ledger entry the ledger refused on replay (left out of PnL)',
  REPORT_NO_MARK: 'an open position with no recorded price on the day: marked at its average cost',
} as const;

export type ReportReasonCode = keyof typeof ReportReasons;
