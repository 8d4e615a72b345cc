from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "shuping.campaigns"
    verbose_name = "考核方案"
