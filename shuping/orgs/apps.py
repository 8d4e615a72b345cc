from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "shuping.orgs"
    verbose_name = "组织架构"
