from hypothesis import given
from hypothesis import strategies as st

from notifications.channels.twilio_sms import GSM7, UCS2, gsm7_fits_one_segment, shorten_for_sms, sms_cost


def test_160_plain_characters_are_one_segment_and_161_are_not():
    assert gsm7_fits_one_segment("a" * 160)
    assert not gsm7_fits_one_segment("a" * 161)


def test_gsm7_extension_characters_cost_two():
    assert sms_cost("€[]{}") == (GSM7, 10)
    assert gsm7_fits_one_segment("€" * 80)
    assert not gsm7_fits_one_segment("€" * 81)


def test_accented_letters_of_the_gsm_alphabet_keep_the_160_limit():
    assert sms_cost("Müller, café, Ñoño") == (GSM7, 18)
    assert sms_cost("Ñandú")[0] == UCS2  # ú is not in GSM-7 (ù is)


def test_one_character_outside_gsm7_makes_the_whole_text_ucs2_with_70():
    assert sms_cost("a" * 10 + "ł") == (UCS2, 11)
    assert gsm7_fits_one_segment("a" * 69 + "ł")
    assert not gsm7_fits_one_segment("a" * 70 + "ł")


def test_an_emoji_takes_two_of_the_70():
    assert sms_cost("🔥") == (UCS2, 2)
    assert not gsm7_fits_one_segment("a" * 69 + "🔥")


def test_a_text_that_fits_is_left_alone():
    assert shorten_for_sms("Vigil #12: disk full on db1. Ack: https://v.example.com/a/x") == (
        "Vigil #12: disk full on db1. Ack: https://v.example.com/a/x")


def test_curly_quotes_and_dashes_are_replaced_so_the_page_stays_gsm7():
    text = "“Disk full” — db1’s /var at 99% … " + "x" * 100
    short = shorten_for_sms(text)
    assert short.startswith("\"Disk full\" - db1's /var at 99% ... ")
    assert sms_cost(short) == (GSM7, len(short))


def test_a_long_page_is_cut_at_a_word_and_marked():
    short = shorten_for_sms("checkout unreachable " * 10)
    assert gsm7_fits_one_segment(short) and short.endswith("...")
    assert short[:-3].split()[-1] in ("checkout", "unreachable")
    assert len(short) > 140  # cut near the limit, not far before it


def test_a_page_that_must_stay_ucs2_is_cut_to_70():
    short = shorten_for_sms("🔥 Łódź datacenter unreachable from every region, all services degraded " * 3)
    encoding, cost = sms_cost(short)
    assert (encoding, short[-3:]) == (UCS2, "...") and cost <= 70


def test_the_limit_can_leave_room_for_a_link():
    short = shorten_for_sms("word " * 100, limit=100)
    assert sms_cost(short)[1] <= 100


@given(st.text(max_size=400))
def test_whatever_the_text_the_shortened_page_is_one_segment(text):
    assert gsm7_fits_one_segment(shorten_for_sms(text))
