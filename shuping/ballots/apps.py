from django.apps import AppConfig


class BallotsConfig(AppConfig):
    name = "shuping.ballots"
    verbose_name = "民主测评"
