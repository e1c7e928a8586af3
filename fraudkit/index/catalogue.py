"""The index's catalogue: every indicator's definition and the method, as docs/index.md holds it.

``python -m fraudkit.index > docs/index.md`` regenerates the page from the code; a test keeps them in step.
"""

from __future__ import annotations

from fraudkit.index.indicators import INDICATORS
from fraudkit.index.result import HEADING_TITLES, HEADINGS
from fraudkit.index.scoring import IndexParams

METHOD = """\
## How the index is made

1. **Indicators** (below): per region and calendar month, computed only from the store: reports,
   call-back outcomes, transfers, subscribers, accounts and the month's scans (one per week back from
   its end, each over 7 days; an account in several weeks' water houses counts in its latest). A
   victim belongs to the home region of the phone that reported (`subscribers.region`), else of the
   account that paid (`accounts.region`); SIMs and accounts to their own `region`. Counties roll up to
   their city through `regions.parent_code`. Counts are adjusted by the region's size (residents, GDP,
   accounts, SIMs), so a big city is not punished for being big; shares need no adjustment. An
   indicator the store cannot tell for a region (no call-backs there) is null and counts as average.
2. **Normalisation** (`[index] method`, `winsor`): each indicator across the regions of one level and
   month, clipped at its `winsor` and `1 - winsor` quantiles (default 5%: one county with an extreme
   month does not flatten the differences between the others), then a z-score (`zscore`, the default)
   or the clipped range mapped to -2.5..2.5 (`minmax`), signed so that higher is always safer.
3. **Weights** (`heading_weights`, `cases_weights`, `interception_weights`, `supply_weights`): a
   heading's score is the weighted mean of its indicators' scores, the index the weighted sum of the
   headings', both as 50 + 10 x score, clipped to 0-100: an average region is 50, one a standard
   deviation safer on every indicator 60. Each indicator's *contribution* is its share of the distance
   from 50, so the contributions add up to `index - 50` and say what moved a region.
4. **Colours**: red when the index is under `red_below`, when it fell `red_drop` points or more since the
   published previous month, or on a **spike**: the month's reports reach `spike_ratio` times the
   region's mean over its previous `spike_months` months with data and exceed it by `spike_min_excess`
   reports. Yellow when under `yellow_below` or fallen `yellow_drop` points; green otherwise. Each
   region's colour comes with the reason.
5. **Publication** (`index_runs`, `index_regions`): the first time a finished month is computed it is
   stored with its settings; later runs show what was published, whatever arrived since, and the next
   month's change is measured against it (`--draft` computes without storing).

## Why these defaults

- Interception and the supply side say how well a region fights fraud and how much of its machinery
  (mule accounts, fraud numbers, water houses) sits there; they depend on call-back records and scans
  a centre may not keep for every region, and the machinery often sits in other regions than its
  victims, so they weigh less.
- Within cases, money paid into water houses weighs three times the others: it is the loss at risk
  whether the victim reported or not (about half do), where reports and reported losses see only those
  who came forward. Loss per unit of GDP is shown but weighs nothing by default: it measures the burden
  on the economy, and GDP per resident differs several-fold between districts, so it would rank rich
  districts safe for their wealth. Every other indicator weighs the same within its heading: no other
  has been shown to matter more, and equal weights are the hardest to argue with.
- Cases weigh 0.6, interception and the supply side 0.2 each: cases are the outcome the index exists
  to measure, and the only heading every centre's store holds in full. On synthetic worlds where the
  truth knows each county's loss at risk these weights, chosen on the default world seed 7 and the alt
  world seed 11, rank counties with Spearman 0.85-0.91 at 20,000 subscribers on worlds not used to choose them (README).
- Red under 40 is one standard deviation less safe than the average region on the weighted scale
  (about the worst sixth when regions are spread normally); yellow under 47.5 a quarter of one. A fall of
  10 points in a month is a standard deviation: red whatever the level.
- A spike is a month of at least twice the region's usual reports and three more than usual: twice
  filters out ordinary month-to-month noise of a large county, three more keeps a county of two reports a
  month from turning red on its fourth.
"""


def catalogue_markdown() -> str:
    """docs/index.md: the method, the defaults and every indicator, grouped by heading."""
    defaults = IndexParams()
    lines = [
        "# The monthly regional fraud-risk index",
        "",
        "`fraudkit index --month YYYY-MM [--level city|county] [--out FILE.xlsx|.html|.parquet]` ranks every",
        "city and county of the regions table on the month's fraud outcomes, adjusted for size, on a 0-100 scale",
        "where higher is safer, and colours each green, yellow or red. Numbers of people never appear: the index",
        "is about regions. This page is generated (`python -m fraudkit.index`); a test keeps it in step.",
        "",
        METHOD,
        "## The indicators",
        "",
    ]
    weights = dict(
        zip(HEADINGS, (defaults.cases_weights, defaults.interception_weights, defaults.supply_weights), strict=True)
    )
    for heading, heading_weight in zip(HEADINGS, defaults.heading_weights, strict=True):
        lines += [f"### {HEADING_TITLES[heading]} (weight {heading_weight:g})", ""]
        lines += [
            "| indicator | column | unit | higher is | weight | definition |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        own = [ind for ind in INDICATORS if ind.heading == heading]
        for ind, weight in zip(own, weights[heading], strict=True):
            lines.append(f"| {ind.title} | `{ind.name}` | {ind.unit} | {ind.higher_is} | {weight:g} | {ind.meaning} |")
        lines.append("")
    lines += [
        "Not computed: urgent requests to banks (the store holds no record of them; the live loop's queue does).",
        "",
    ]
    return "\n".join(lines)
