"""The allocation run's rules, as a pure function of inputs and seed."""

from __future__ import annotations

import secrets

from hypothesis import given, settings
from hypothesis import strategies as st

from movilidad.appointments.allocation import (
    LONGEST_WAITING,
    LOTTERY,
    Candidate,
    Inputs,
    Seat,
    allocate,
    digest,
    lottery_number,
    public_report,
    report,
    seed_hash,
)

SEED = "00" * 31 + "01"


def _inputs(requests: int, seats: int, percent: int = 0, groups: tuple[str, ...] = (),
            members: dict[int, tuple[str, ...]] | None = None) -> Inputs:  # fmt: skip
    members = members or {}
    return Inputs(
        seats=tuple(Seat(slot_id=1 + n // 3, seat=n % 3) for n in range(seats)),
        candidates=tuple(
            Candidate(request_id=i, registered_at=f"2025-01-01T00:00:{i % 60:02d}+00:00"
                      if i < 60 else f"2025-02-{1 + i % 27:02d}T00:00:00+00:00",
                      groups=members.get(i, ()), nationality="VEN" if i % 2 else "HTI")
            for i in range(requests)
        ),
        longest_waiting_percent=percent,
        priority_groups=groups,
        office="COL-BOG",
    )  # fmt: skip


def test_every_seat_goes_to_one_request_and_no_request_gets_two() -> None:
    placements = allocate(_inputs(50, 20), SEED)
    assert len(placements) == 20
    assert len({p.request_id for p in placements}) == 20
    assert len({(p.slot_id, p.seat) for p in placements}) == 20


def test_fewer_requests_than_seats_serves_everyone() -> None:
    placements = allocate(_inputs(5, 20, percent=40), SEED)
    assert sorted(p.request_id for p in placements) == [0, 1, 2, 3, 4]


def test_the_longest_waiting_share_goes_to_the_earliest_registered() -> None:
    inputs = Inputs(
        seats=tuple(Seat(1, n) for n in range(4)),
        candidates=tuple(
            Candidate(request_id=i, registered_at=f"2025-03-{10 - i:02d}T00:00:00+00:00")
            for i in range(8)
        ),
        longest_waiting_percent=50,
        priority_groups=(),
    )
    placements = allocate(inputs, SEED)
    oldest = [p for p in placements if p.rule == LONGEST_WAITING]
    assert [p.request_id for p in oldest] == [7, 6]  # registered on the 3rd and the 4th
    assert [p.seat for p in oldest] == [0, 1]  # and they get the earliest seats
    assert {p.rule for p in placements[2:]} == {LOTTERY}


def test_priority_groups_are_served_in_order_before_the_lottery() -> None:
    members = {3: ("serious_medical_condition",), 9: ("single_caregiver",),
               12: ("single_caregiver", "serious_medical_condition")}  # fmt: skip
    inputs = _inputs(30, 5, groups=("serious_medical_condition", "single_caregiver"),
                     members=members)  # fmt: skip
    placements = allocate(inputs, SEED)
    rules = {p.request_id: p.rule for p in placements}
    assert rules[3] == rules[12] == "priority:serious_medical_condition"
    assert rules[9] == "priority:single_caregiver"
    assert [p.rule for p in placements].count(LOTTERY) == 2


def test_the_same_seed_gives_the_same_result_and_another_seed_another() -> None:
    inputs = _inputs(200, 30)
    assert allocate(inputs, SEED) == allocate(inputs, SEED)
    assert allocate(inputs, SEED) != allocate(inputs, "ab" * 32)


def test_the_draw_does_not_depend_on_the_order_requests_are_listed() -> None:
    inputs = _inputs(100, 30)
    shuffled = Inputs(inputs.seats, tuple(reversed(inputs.candidates)),
                      inputs.longest_waiting_percent, inputs.priority_groups)  # fmt: skip
    assert {p.request_id for p in allocate(inputs, SEED)} == {
        p.request_id for p in allocate(shuffled, SEED)
    }


def test_lottery_numbers_are_recomputable_from_the_published_seed() -> None:
    assert lottery_number(SEED, 7) == lottery_number(SEED, 7)
    assert lottery_number(SEED, 7) != lottery_number(SEED, 8)
    assert len(seed_hash(SEED)) == 64
    assert seed_hash(SEED) != seed_hash("ab" * 32)


def test_inputs_survive_their_json_form_and_digest() -> None:
    inputs = _inputs(10, 4, percent=25, groups=("pregnancy",), members={2: ("pregnancy",)})
    again = Inputs.from_json(inputs.to_json())
    assert again == inputs
    assert digest(again.to_json()) == digest(inputs.to_json())


def test_the_report_counts_rules_nationalities_and_office_without_people() -> None:
    inputs = _inputs(10, 4, percent=50)
    counted = report(inputs, allocate(inputs, SEED))
    assert counted["seats"] == 4
    assert counted["requests"] == 10
    assert counted["allocated"] == 4
    assert counted["not_allocated"] == 6
    assert counted["by_rule"] == {LONGEST_WAITING: 2, LOTTERY: 2}
    assert counted["by_nationality"]["HTI"]["requests"] == 5
    assert sum(v["allocated"] for v in counted["by_nationality"].values()) == 4
    assert counted["by_office"] == {"COL-BOG": {"requests": 10, "allocated": 4}}
    assert "request" not in str(counted).replace("requests", "")


@settings(max_examples=60, deadline=None)
@given(
    requests=st.integers(0, 60),
    seats=st.integers(0, 40),
    percent=st.integers(0, 100),
    needs=st.lists(st.sampled_from(["pregnancy", "disability"]), max_size=60),
)
def test_no_input_double_books_or_serves_anyone_twice(
    requests: int, seats: int, percent: int, needs: list[str]
) -> None:
    members = {i: (need,) for i, need in enumerate(needs)}
    inputs = _inputs(requests, seats, percent, ("disability", "pregnancy"), members)
    placements = allocate(inputs, secrets.token_hex(32))
    assert len(placements) == min(requests, seats)
    assert len({p.request_id for p in placements}) == len(placements)
    assert len({(p.slot_id, p.seat) for p in placements}) == len(placements)


def test_the_lottery_shows_no_bias_by_request_order_chi_square() -> None:
    """400 draws of 50 seats among 200 requests (no longest-waiting share): how often
    each tenth of the requests, in the order they came in, is served. Under no bias
    each tenth expects 400 × 50 / 10 = 2,000 seats. Pearson's chi-square with 9
    degrees of freedom must stay below 27.88 (p = 0.001); the seeds are fixed, so
    the test is deterministic."""
    inputs = _inputs(200, 50)
    served = [0] * 10
    for run in range(400):
        seed = digest(f"chi-square-{run}")
        for placement in allocate(inputs, seed):
            served[placement.request_id * 10 // 200] += 1
    expected = 400 * 50 / 10
    chi_square = sum((count - expected) ** 2 / expected for count in served)
    assert chi_square < 27.88, (chi_square, served)
    # the statistic catches bias: serving the first-come first would give thousands
    biased = [0] * 10
    for _run in range(400):
        for request_id in range(50):
            biased[request_id * 10 // 200] += 1
    assert sum((c - expected) ** 2 / expected for c in biased) > 27.88


def test_the_published_report_hides_small_cells() -> None:
    counts = {
        "seats": 12, "requests": 40, "allocated": 12, "not_allocated": 28,
        "by_rule": {"lottery": 9, "priority:pregnancy": 3},
        "by_nationality": {"VEN": {"requests": 30, "allocated": 9},
                           "HTI": {"requests": 7, "allocated": 2},
                           "CUB": {"requests": 2, "allocated": 1},
                           "NIC": {"requests": 1, "allocated": 0}},
    }  # fmt: skip
    published = public_report(counts)
    assert published["by_rule"] == {"lottery": 9, "priority:pregnancy": "<5"}
    assert published["by_nationality"] == {
        "VEN": {"requests": 30, "allocated": 9},
        "HTI": {"requests": 7, "allocated": "<5"},
        "other": {"requests": "<5", "allocated": "<5"},
    }
    assert "CUB" not in str(published)
    assert "NIC" not in str(published)
