from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "shuping.results"
    verbose_name = "考核结果"
