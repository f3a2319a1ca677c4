import datetime

import factory

from apps.milestones.models import Deliverable, Milestone
from tests.projects.factories import ProjectFactory


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}: cohort recruited")
    due_date = datetime.date(2026, 12, 31)


class DeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deliverable

    project = factory.SubFactory(ProjectFactory)
    code = factory.Sequence(lambda n: f"D{n // 5 + 1}.{n % 5 + 1}")
    title = factory.Sequence(lambda n: f"Report {n}")
    summary = "What we found and how."
    due_date = datetime.date(2027, 3, 31)
