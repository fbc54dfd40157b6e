"""Who may vote: the edge cases of UU 7/2017 art. 198 and 200."""

import datetime as dt

import pandas as pd

from pemadanan.eligibility import PEMILU_2029, PILKADA_2024, Election, eligibility, judging_day, turns_of_age_between

VOTING_DAY = PILKADA_2024.voting_day  # 27 November 2024
RETIRED = 16  # any occupation code but 6 (TNI) and 7 (Polri)


def judge(rows: list[dict], on: dt.date = VOTING_DAY, area: tuple[str, ...] = ()) -> pd.DataFrame:
    base = {"marital": 1, "occupation": 9, "desa_code": "33.23.01.2001"}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    return eligibility(frame.astype({"marital": "Int64", "occupation": "Int64"}), on, area)


def test_seventeen_on_voting_day_is_eligible_and_a_day_later_is_not():
    verdict = judge([{"birth_date": "2007-11-27"}, {"birth_date": "2007-11-28"}])
    assert verdict["eligible"].tolist() == [True, False]
    assert verdict["reason"].tolist() == ["17 or older", "under 17 and never married"]


def test_a_29_february_birthday_counts_from_1_march_in_other_years():
    leapling = [{"birth_date": "2008-02-29"}]
    assert not judge(leapling, on=dt.date(2025, 2, 28))["eligible"].item()
    assert judge(leapling, on=dt.date(2025, 3, 1))["eligible"].item()
    assert judge(leapling, on=dt.date(2024, 2, 29))["age"].item() == 16


def test_married_or_divorced_at_16_is_eligible():
    verdict = judge([{"birth_date": "2008-06-01", "marital": 2}, {"birth_date": "2008-06-01", "marital": 3},
                     {"birth_date": "2008-06-01", "marital": 4}])
    assert verdict["eligible"].all()
    assert set(verdict["reason"]) == {"under 17, married or ever married"}


def test_serving_tni_and_polri_do_not_vote_and_retired_members_do():
    verdict = judge([{"birth_date": "1980-01-01", "occupation": 6}, {"birth_date": "1980-01-01", "occupation": 7},
                     {"birth_date": "1965-01-01", "occupation": RETIRED}])
    assert verdict["eligible"].tolist() == [False, False, True]
    assert verdict["reason"].tolist() == ["serving TNI", "serving Polri", "17 or older"]


def test_a_pilkada_needs_domicile_in_the_area():
    verdict = judge([{"birth_date": "1980-01-01"}, {"birth_date": "1980-01-01", "desa_code": "33.08.01.2001"}],
                    area=("33.23",))
    assert verdict["eligible"].tolist() == [True, False]
    assert verdict["reason"].iloc[1] == "not domiciled in the electoral area"


def test_an_unknown_birth_date_is_not_taken_for_of_age():
    verdict = judge([{"birth_date": None}, {"birth_date": None, "marital": 2}])
    assert verdict["eligible"].tolist() == [False, True]
    assert verdict["reason"].iloc[0] == "birth date unknown, never married"


def test_who_turns_17_between_two_dates():
    born = pd.to_datetime(pd.Series(["2007-06-30", "2007-07-01", "2007-11-27", "2007-11-28"]))
    turns = turns_of_age_between(born, dt.date(2024, 6, 30), VOTING_DAY)
    assert turns.tolist() == [False, True, True, False]


def test_a_semester_is_judged_on_the_next_voting_day_before_the_next_semester():
    semester_1_2024 = judging_day(dt.date(2024, 6, 30))
    assert semester_1_2024.day == PILKADA_2024.voting_day and semester_1_2024.election == PILKADA_2024
    # Semester II 2024: the next election (Pemilu 2029) is years away; the list is judged as it stands.
    assert judging_day(dt.date(2024, 12, 31)).day == dt.date(2024, 12, 31)
    assert judging_day(dt.date(2024, 12, 31)).election is None
    # Semester II 2028 is the last data before Pemilu 2029.
    assert judging_day(dt.date(2028, 12, 31)).election == PEMILU_2029
    # An election on the reference date itself is judged on that day; after the last one, the reference date.
    on_the_day = Election("Pilkada ulang", dt.date(2025, 6, 30))
    assert judging_day(dt.date(2025, 6, 30), (on_the_day,)).election == on_the_day
    assert judging_day(dt.date(2029, 6, 30)).day == dt.date(2029, 6, 30)
    assert "reference date" in judging_day(dt.date(2029, 6, 30)).describe()


def test_born_on_voting_day_17_years_before_is_a_voter_when_judged_on_that_day():
    day = judging_day(dt.date(2024, 6, 30)).day
    verdict = judge([{"birth_date": "2007-11-27"}, {"birth_date": "2007-11-28", "marital": 2}], on=day)
    assert verdict["eligible"].tolist() == [True, True]  # of age on the day; the other married at 16
