"""Paths the tests share."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "knowledge" / "data"
CATALOGUE = ROOT.parent / "shared" / "catalogue.yaml"
TPE_FAQ = ROOT.parent / "shared" / "external" / "tpe-faq" / "faq.csv"
