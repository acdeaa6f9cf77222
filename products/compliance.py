"""Compliance of products against policy sets (DESIGN §10): the one home of the rule.

Each effective policy of a set has, for a product, one **outcome**:

- ``met``: assessed ``full``, or ``na`` with a justification that is not blank;
- ``waived``: not met, but a waiver is in force (``products.models.current_waiver_q``);
- ``none``: assessed ``none``;
- ``partial``: assessed ``partial`` (or ``na`` with a blank justification);
- ``unknown``: not assessed.

A product's **status** against the set reads the outcomes of the *mandatory* policies
(``STATUS_RULE``): compliant when every one is met or waived, noncompliant when one is
``none``, partial when none is unknown, unknown otherwise. Recommended policies are
reported beside the status and never change it.

Every summary carries the **breakdown**: a ``Tally`` (met, partial, none, unknown, waived,
total) of the mandatory and of the recommended policies, the mandatory ones split into the
set's *own* and those *inherited* from its base, the codes behind every count that is not
met, and a one-sentence reason.

The rule is computed here, over loaded assessments and waivers (``summaries_for``: the
product page, the badge, the heatmap), and stored per product and set by
``products.compliance_store``, whose rows every list, facet, filter, the home page and the
API read. A community with no policy set holds its members to the hub's set
(``hub_default``), marked so wherever it is shown.

Functions here work in bulk: give them many products and they issue a fixed number of
queries, so list pages and API endpoints stay flat in query count.
"""

from __future__ import annotations

import collections
import datetime
import functools
import operator
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property

from products.models import Assessment, Product, Waiver, current_waiver_q
from products.review import is_review_due
from spokes.models import Community, Policy, PolicySet, effective_policies_by_set

UNKNOWN = "unknown"
STATUSES = ("full", "partial", "none", "na", UNKNOWN)


class Status:
    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NONCOMPLIANT = "noncompliant"
    UNKNOWN = "unknown"

    ALL = ("compliant", "partial", "noncompliant", "unknown")


class Outcome:
    MET = "met"
    WAIVED = "waived"
    NONE = "none"
    PARTIAL = "partial"
    UNKNOWN = "unknown"

    # The order outcomes are reported in; the first three are "not met".
    NOT_MET = ("none", "partial", "unknown")


# What satisfies a policy: an assessment ``full``, or ``na`` with a justification that is
# not blank (``is_satisfied``).
MET = "full"
MET_IF_JUSTIFIED = "na"
FAILING = "none"
BLANK_RE = r"^\s*$"


def is_satisfied(status: str | None, justification: str) -> bool:
    return status == MET or (status == MET_IF_JUSTIFIED and bool(justification.strip()))


def outcome(status: str | None, justification: str, waived: bool) -> str:
    """The outcome of one policy for one product (the module docstring's list, in order)."""
    if status is not None and is_satisfied(status, justification):
        return Outcome.MET
    if waived:
        return Outcome.WAIVED
    if status == FAILING:
        return Outcome.NONE
    if status is None:
        return Outcome.UNKNOWN
    return Outcome.PARTIAL


@dataclass(frozen=True)
class Tally:
    """How many policies of one group have each outcome."""

    met: int = 0
    partial: int = 0
    none: int = 0
    unknown: int = 0
    waived: int = 0
    total: int = 0

    @classmethod
    def of(cls, outcomes: Iterable[str]) -> Tally:
        return cls.of_counter(Counter(outcomes))

    @classmethod
    def of_counter(cls, counter: Counter) -> Tally:
        """The tally of outcomes already counted."""
        counts = {name: counter.get(name, 0) for name in _OUTCOME_FIELDS}
        return cls(**counts, total=sum(counter.values()))

    @property
    def ok(self) -> int:
        """Met or waived: what counts as met."""
        return self.met + self.waived

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


TALLY_FIELDS = tuple(f.name for f in fields(Tally))
_OUTCOME_FIELDS = tuple(name for name in TALLY_FIELDS if name != "total")

# The status rule over the tally of a product's mandatory policies: the first line whose
# condition holds names the status (``status_of``).
STATUS_RULE: tuple[tuple[str, str, str, str], ...] = (
    (Status.COMPLIANT, "ok", "=", "total"),
    (Status.NONCOMPLIANT, "none", ">", "0"),
    (Status.PARTIAL, "unknown", "=", "0"),
)
OTHERWISE = Status.UNKNOWN
_COMPARE = {"=": operator.eq, ">": operator.gt}


def status_of(mandatory: Tally) -> str:
    """The status a tally of mandatory policies means (``STATUS_RULE``)."""
    values = {**mandatory.as_dict(), "ok": mandatory.ok}
    for status, name, op, other in STATUS_RULE:
        right = values[other] if other in values else int(other)
        if _COMPARE[op](values[name], right):
            return status
    return OTHERWISE


_OUTCOME_WORDS = {
    Outcome.NONE: "not met",
    Outcome.PARTIAL: "partial",
    Outcome.UNKNOWN: "not assessed",
}


def reason(
    *,
    own: Tally,
    inherited: Tally,
    missing: Sequence[Missing],
    base_name: str | None,
) -> str:
    """One sentence for the breakdown, e.g. "17/17 own mandatory met · P2, P5, P8
    inherited from E4S not assessed"."""
    parts = []
    if own.total or not inherited.total:
        waived = f" ({own.waived} waived)" if own.waived else ""
        word = "own mandatory" if inherited.total else "mandatory"
        parts.append(f"{own.ok}/{own.total} {word} met{waived}")
        parts += _missing_phrases([m for m in missing if m.mandatory and not m.inherited], "")
    if inherited.total:
        source = f" from {base_name}" if base_name else ""
        phrases = _missing_phrases(
            [m for m in missing if m.mandatory and m.inherited], f" inherited{source}"
        )
        if phrases:
            parts += phrases
        else:
            parts.append(f"{inherited.ok}/{inherited.total} inherited{source} met")
    return " · ".join(parts)


def _missing_phrases(missing: Sequence[Missing], qualifier: str) -> list[str]:
    phrases = []
    for word_of in Outcome.NOT_MET:
        codes = [m.code for m in missing if m.outcome == word_of]
        if codes:
            phrases.append(f"{', '.join(codes)}{qualifier} {_OUTCOME_WORDS[word_of]}")
    return phrases


@dataclass(frozen=True)
class Missing:
    code: str
    outcome: str
    mandatory: bool
    inherited: bool

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "status": self.outcome,
            "level": "mandatory" if self.mandatory else "recommended",
            "inherited": self.inherited,
        }


@dataclass
class PolicyStatus:
    policy: Policy
    inherited: bool
    assessment: Assessment | None
    waiver: Waiver | None = None

    @property
    def status(self) -> str:
        """The assessment's status (``unknown`` when not assessed)."""
        return self.assessment.status if self.assessment else UNKNOWN

    @cached_property
    def outcome(self) -> str:
        """Computed once: a summary's tallies, status, missing codes and pictures all read
        it (an item's assessment and waiver are fixed when it is made)."""
        a = self.assessment
        return outcome(
            a.status if a else None, a.justification if a else "", self.waiver is not None
        )

    @property
    def justification(self) -> str:
        return self.assessment.justification.strip() if self.assessment else ""

    @property
    def review_due(self) -> bool:
        """The assessment is older than its set's review interval (``products.review``);
        needs whole assessment rows (not ``SUMMARY_FIELDS``)."""
        if self.assessment is None:
            return False
        self.assessment.policy = self.policy  # loaded with its set: no query
        return is_review_due(self.assessment)

    @property
    def satisfied(self) -> bool:
        """Counts as met: met, or waived."""
        return self.outcome in (Outcome.MET, Outcome.WAIVED)


@dataclass
class Summary:
    policy_set: PolicySet
    items: list[PolicyStatus] = field(default_factory=list)
    hub_default: bool = False

    def _tallies(self) -> dict[str, Tally]:
        """The four tallies (mandatory, recommended, own and inherited mandatory) in one
        pass over the items, kept until an item is added."""
        kept = self.__dict__.get("_kept_tallies")
        if kept is not None and kept[0] == len(self.items):
            return kept[1]
        groups: dict[str, Counter] = {
            "mandatory": Counter(),
            "recommended": Counter(),
            "own": Counter(),
            "inherited": Counter(),
        }
        for item in self.items:
            outcome_ = item.outcome
            if item.policy.is_mandatory:
                groups["mandatory"][outcome_] += 1
                groups["inherited" if item.inherited else "own"][outcome_] += 1
            else:
                groups["recommended"][outcome_] += 1
        tallies = {name: Tally.of_counter(counter) for name, counter in groups.items()}
        self.__dict__["_kept_tallies"] = (len(self.items), tallies)
        return tallies

    @property
    def mandatory(self) -> Tally:
        return self._tallies()["mandatory"]

    @property
    def recommended(self) -> Tally:
        return self._tallies()["recommended"]

    @property
    def own(self) -> Tally:
        return self._tallies()["own"]

    @property
    def inherited(self) -> Tally:
        return self._tallies()["inherited"]

    @property
    def missing(self) -> list[Missing]:
        return [
            Missing(i.policy.code, i.outcome, i.policy.is_mandatory, i.inherited)
            for i in self.items
            if i.outcome in Outcome.NOT_MET
        ]

    @property
    def counts(self) -> dict[str, int]:
        """How many policies have each assessment status (``unknown``: not assessed)."""
        counter = Counter(item.status for item in self.items)
        return {status: counter.get(status, 0) for status in STATUSES}

    @property
    def status(self) -> str:
        return status_of(self.mandatory)

    @property
    def reason(self) -> str:
        base = self.policy_set.base
        return reason(
            own=self.own,
            inherited=self.inherited,
            missing=self.missing,
            base_name=base.name if base else None,
        )

    @property
    def groups(self) -> list[tuple[str, list[PolicyStatus]]]:
        """The items as pages show them: own mandatory, inherited mandatory, recommended
        (empty groups left out), each item with ``shown_justification`` set."""
        common = self.common_justification
        for item in self.items:
            item.shown_justification = self.shown_justification(item, common)
        base = self.policy_set.base
        inherited = f"Inherited from {base.name}" if base else "Inherited"
        groups = [
            ("Own mandatory" if self.inherited.total else "Mandatory", self._items(True, False)),
            (f"{inherited} (mandatory)", self._items(True, True)),
            ("Recommended", [i for i in self.items if not i.policy.is_mandatory]),
        ]
        return [(title, items) for title, items in groups if items]

    def _items(self, mandatory: bool, inherited: bool) -> list[PolicyStatus]:
        return [
            i for i in self.items if i.policy.is_mandatory == mandatory and i.inherited == inherited
        ]

    @property
    def common_justification(self) -> str:
        """The ending most of the assessments' justifications share (the document they
        were imported from, say): shown once above the table rather than on every row
        that has it. The rows are grouped by their last ``COMMON_MIN`` characters and the
        largest group of two or more decides, so one assessment written by hand among
        imported ones does not bring the document's text back onto every row. "" when no
        two justifications share an ending worth it."""
        texts = [i.justification for i in self.items if len(i.justification) >= COMMON_MIN]
        tails = Counter(text[-COMMON_MIN:] for text in texts)
        if not tails:
            return ""
        tail, count = tails.most_common(1)[0]
        if count < 2:
            return ""
        common = _common_ending([text for text in texts if text.endswith(tail)])
        return common if len(common) >= COMMON_MIN else ""

    def shown_justification(self, item: PolicyStatus, common: str) -> str:
        """What a row shows of its justification: all of it, less the shared ending when
        it has that ending (shown once apart)."""
        text = item.justification
        if common and text.endswith(common):
            return text[: len(text) - len(common)].strip()
        return text

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            **self.counts,
            "mandatory": self.mandatory.as_dict(),
            "recommended": self.recommended.as_dict(),
            "own": self.own.as_dict(),
            "inherited": self.inherited.as_dict(),
            "missing": [m.as_dict() for m in self.missing],
            "reason": self.reason,
            "hub_default": self.hub_default,
        }


# Shortest shared ending of justifications worth showing once.
COMMON_MIN = 30


def _common_ending(texts: Sequence[str]) -> str:
    """The longest ending all ``texts`` share that starts a word."""
    first = texts[0]
    n = 0
    while n < len(first) and all(len(t) > n and t[-1 - n] == first[-1 - n] for t in texts):
        n += 1
    ending = first[len(first) - n :] if n else ""
    if ending and len(ending) < len(first) and not first[len(first) - n - 1].isspace():
        # Start at a word: drop the partial word at the front.
        cut = ending.find(" ")
        ending = ending[cut + 1 :] if cut >= 0 else ""
    return ending.strip()


def hub_policy_set() -> PolicySet | None:
    """The hub's set: what members of a community with no published set are held to."""
    return (
        PolicySet.objects.filter(communities__kind=Community.Kind.HUB)
        .select_related("base")
        .order_by("pk")
        .first()
    )


def held_set(community: Community, hub_set: PolicySet | None) -> tuple[PolicySet | None, bool]:
    """(the set a community's members are held to, whether it is the hub default)."""
    if community.policy_set_id is not None:
        return community.policy_set, False
    if community.kind == Community.Kind.SPOKE and hub_set is not None:
        return hub_set, True
    return None, False


def held_sets(communities: Iterable[Community]) -> tuple[list[PolicySet], set[int]]:
    """The sets the given communities hold their members to, in order and each once, and
    the pks of those held only as the hub default (one query, and only when some
    community has no set of its own)."""
    communities = list(communities)
    hub_set = None
    if any(c.policy_set_id is None for c in communities):
        hub_set = hub_policy_set()
    sets: dict[int, PolicySet] = {}
    defaults: set[int] = set()
    for community in communities:
        ps, default = held_set(community, hub_set)
        if ps is not None:
            sets.setdefault(ps.pk, ps)
            if default:
                defaults.add(ps.pk)
    own = {c.policy_set_id for c in communities}
    return list(sets.values()), defaults - own


def summarize(product: Product, policy_set: PolicySet) -> Summary:
    """The compliance of one product against one set."""
    return summarize_many([product], policy_set)[product.pk]


# The assessment fields a Summary reads (status and outcome): enough for pages that show
# statuses only, e.g. ``summarize_many(..., only=SUMMARY_FIELDS)``.
SUMMARY_FIELDS = ("product_id", "policy_id", "status", "justification")


def summaries_for(
    products: Iterable[Product],
    policy_sets: Iterable[PolicySet] | None = None,
    *,
    hub_default: Collection[int] = (),
    only: Sequence[str] | None = None,
    on: datetime.date | None = None,
) -> dict[int, dict[str, Summary]]:
    """{product pk: {set slug: Summary}}: against `policy_sets` when given (those whose pk
    is in ``hub_default`` marked as the hub default), otherwise against the set each
    community a product has a membership in (current or past) holds its members to
    (``held_sets``; memberships must be prefetched with `community__policy_set`). A fixed
    number of queries for any number of products.

    ``only``: load just these assessment fields (``SUMMARY_FIELDS`` when nothing but the
    statuses is shown), as light read-only rows rather than Assessment instances; by
    default whole assessment rows with their assessor. ``on``: the
    day waivers are judged in force (today).
    """
    products = list(products)
    given = None if policy_sets is None else list(policy_sets)
    sets_of: dict[int, list[tuple[PolicySet, bool]]] = {}
    if given is not None:
        for product in products:
            sets_of[product.pk] = [(ps, ps.pk in hub_default) for ps in given]
    else:
        communities = {m.community_id: m.community for p in products for m in p.memberships.all()}
        needs_hub = any(c.policy_set_id is None for c in communities.values())
        hub_set = hub_policy_set() if needs_hub else None
        for product in products:
            mine = [m.community for m in product.memberships.all()]
            own = {c.policy_set_id for c in mine}
            unique: dict[int, tuple[PolicySet, bool]] = {}
            for community in mine:
                ps, _ = held_set(community, hub_set)
                if ps is not None:
                    unique.setdefault(ps.pk, (ps, ps.pk not in own))
            sets_of[product.pk] = list(unique.values())
    wanted = {ps.pk: ps for sets in sets_of.values() for ps, _ in sets}
    effective = effective_policies_by_set(wanted.values())
    policy_ids = {p.pk for items in effective.values() for p, _ in items}
    found: dict[tuple[int, int], Assessment] = {}
    waivers: dict[tuple[int, int], Waiver] = {}
    if products and policy_ids:
        pks = [p.pk for p in products]
        rows = Assessment.objects.filter(product__in=pks, policy__in=policy_ids)
        if only:
            # Plain rows of just these fields: no model instance per assessment (a page of
            # 100 members reads thousands; the read model's refresh, every one).
            row = _assessment_row(tuple(dict.fromkeys(("product_id", "policy_id", *only))))
            found = {
                (a.product_id, a.policy_id): a
                for a in map(row._make, rows.order_by().values_list(*row._fields))
            }
        else:
            found = {(a.product_id, a.policy_id): a for a in rows.select_related("assessed_by")}
        in_force = Waiver.objects.filter(current_waiver_q(on=on), product__in=pks)
        waivers = waiver_by_pair(in_force.filter(policy__in=policy_ids).order_by("pk"))
    return assemble([p.pk for p in products], sets_of, effective, found, waivers)


@functools.cache
def _assessment_row(fields: tuple[str, ...]) -> type:
    """A light read-only stand-in for an Assessment holding just ``fields``."""
    return collections.namedtuple("AssessmentRow", fields)


def waiver_by_pair(in_force: Iterable[Waiver]) -> dict[tuple[int, int], Waiver]:
    """{(product pk, policy pk): the waiver that counts}: of the waivers in force for a
    pair, the one with the latest expiry."""
    out: dict[tuple[int, int], Waiver] = {}
    for waiver in in_force:
        key = (waiver.product_id, waiver.policy_id)
        if key not in out or waiver.expires_on >= out[key].expires_on:
            out[key] = waiver
    return out


def assemble(
    product_ids: Iterable[int],
    sets_of: Mapping[int, Sequence[tuple[PolicySet, bool]]],
    effective: Mapping[int, Sequence[tuple[Policy, bool]]],
    assessments: Mapping[tuple[int, int], Assessment],
    waivers: Mapping[tuple[int, int], Waiver],
) -> dict[int, dict[str, Summary]]:
    """{product pk: {set slug: Summary}} from rows already loaded, with no query:
    ``sets_of`` the (set, hub default) pairs each product is held to, ``effective`` each
    set's ``effective_policies_by_set``, ``assessments`` and ``waivers`` (in force) keyed
    by (product pk, policy pk). ``summaries_for`` loads today's rows and calls it; the
    compliance of an earlier day (``products.compliance_history``) calls it with the rows
    the history held then, so both read the one rule."""
    out: dict[int, dict[str, Summary]] = {}
    for pk in product_ids:
        out[pk] = {}
        for ps, default in sorted(sets_of[pk], key=lambda s: s[0].slug):
            summary = Summary(policy_set=ps, hub_default=default)
            for policy, inherited in effective.get(ps.pk, []):
                key = (pk, policy.pk)
                summary.items.append(
                    PolicyStatus(policy, inherited, assessments.get(key), waivers.get(key))
                )
            out[pk][ps.slug] = summary
    return out


def summarize_many(
    products: Iterable[Product], policy_set: PolicySet, *, only: Sequence[str] | None = None
) -> dict[int, Summary]:
    """Compliance of many products against one set, keyed by product pk."""
    return {
        pk: by_set[policy_set.slug]
        for pk, by_set in summaries_for(products, [policy_set], only=only).items()
    }
