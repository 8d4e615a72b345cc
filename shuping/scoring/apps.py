from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "shuping.scoring"
    verbose_name = "现场评分与日常考核"
