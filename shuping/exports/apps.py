from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "shuping.exports"
    verbose_name = "导出与统计分析"
