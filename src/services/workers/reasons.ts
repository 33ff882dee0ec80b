// Reason codes of the side workers: the alerts they raise and the inputs they skip, each counted and named in
// logs so an operator can grep a code and find the rule. Codes are stable: add, never rename.

export const WorkerReasons = {
  // sentiment: a news item skipped (counted, never thrown)
  SENTIMENT_MALFORMED_ITEM: 'news item is not an object with a string id, title and summary',
  SENTIMENT_BAD_INSTRUMENTS: 'news item instruments is not an array of instrument ids',
  SENTIMENT_BAD_TIME: 'news item publishedAt is not a finite time',
  SENTIMENT_DUPLICATE: 'news item id already scored (dropped)',
  SENTIMENT_UNTAGGED: 'news item mentions no instrument (nothing to score)',
  // scenario
  SCENARIO_NO_MARK: 'no mark price for a position: left out of the scenario sums',
  SCENARIO_NO_GREEKS: 'option position without greeks on greeks.live: left out of the scenario sums',
  SCENARIO_NO_RETURNS: 'no return series for the instrument in a historical episode: left out',
  SCENARIO_NO_FX_RATE: "no rate from the position's currency to the base currency: left out",
  // insights (alerts on `alerts`, source `insights`)
  INSIGHT_PNL_DRIFT: "strategy PnL over the last interval far outside its own history's spread",
  INSIGHT_FEED_STALE: 'no market data for an instrument within the staleness limit',
  INSIGHT_FEED_RESUMED: 'market data for a stale instrument arrives again',
  INSIGHT_REJECT_SPIKE: 'order reject rate above its limit and above its own baseline',
  INSIGHT_REPLAY_DIVERGENCE: "live fills or orders differ from the day's backtest replay",
  INSIGHT_REPLAY_UNREADABLE: 'the backtest replay report exists but cannot be read',
  // hedger and the risk-breach runbook (alerts on `alerts`, source `hedger` / `breach`)
  HEDGE_NOT_FLAT: 'flattening left positions open (no liquidity, denials or netting across strategies)',
  RUNBOOK_RISK_BREACH: 'a risk breach started the risk-breach runbook',
  RUNBOOK_MANUAL: 'an operator ran the risk-breach runbook by hand (hf hedge flatten --runbook)',
  RUNBOOK_INCIDENT: 'the risk-breach runbook finished; the incident summary is filed',
  RUNBOOK_STEP_FAILED: 'a step of the risk-breach runbook failed; the others went on',
} as const;

export type WorkerReasonCode = keyof typeof WorkerReasons;
