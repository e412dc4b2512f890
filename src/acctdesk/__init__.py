"""acctdesk: an offline workbench for people who manage a book of B2B SaaS accounts."""
__version__ = "0.1.0"
APP_NAME = "acctdesk"
