"""`auttamo demo`: a dozen anonymous consultations over the past year, so the consultation page and the
statistics (this year's and last year's) are not empty. Only on a database without consultations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select

from services.consultations import ConsultationInput, record_consultation
from services.context import Actor, Services
from services.uow import UnitOfWork
from store.models import Consultation

# (referrer type, topic, outcome): what a hotline hears, roughly one call a month
CALLS = (
    ("police", "is_it_trafficking", "referral_to_follow"),
    ("ngo", "services_and_support", "advice_given"),
    ("health_care", "is_it_trafficking", "advice_given"),
    ("wellbeing_county", "child_case", "referral_to_follow"),
    ("lawyer", "residence_permit", "referred_elsewhere"),
    ("reception_centre", "referral_procedure", "advice_given"),
    ("private_person", "safety", "referred_elsewhere"),
    ("ngo", "is_it_trafficking", "no_further_action"),
    ("police", "safety", "advice_given"),
    ("parish", "services_and_support", "advice_given"),
    ("shelter", "referral_procedure", "referral_to_follow"),
    ("other", "other", "no_further_action"),
)


def seed_consultations(svc: Services, recorder: str) -> Iterator[str]:
    with UnitOfWork(svc.sessions) as uow:
        if uow.session.scalar(select(func.count(Consultation.id))):
            return
    actor = Actor(recorder, frozenset({"intake"}))
    today = svc.now().date()
    for i, (referrer, topic, outcome) in enumerate(CALLS):
        day = today - timedelta(days=3 + i * 30)
        record_consultation(svc, actor, ConsultationInput(day, referrer, topic, outcome))
    yield f"{len(CALLS)} anonymous consultations"
