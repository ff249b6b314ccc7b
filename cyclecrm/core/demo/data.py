"""Vocabulary the demo draws from: countries with their conventions, industries, titles, ...

Weights are relative; they shape a data set that looks like a mid-sized B2B company's CRM.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    locale: str
    weight: int
    tld: str
    currency: str
    language: str
    # Faker's administrative units are wrong or missing for some locales: leave region empty.
    has_region: bool = True


COUNTRIES = [
    Country("US", "en_US", 30, "com", "USD", "en"),
    Country("GB", "en_GB", 12, "co.uk", "GBP", "en", has_region=False),
    Country("DE", "de_DE", 12, "de", "EUR", "de"),
    Country("FR", "fr_FR", 8, "fr", "EUR", "fr"),
    Country("NL", "nl_NL", 5, "nl", "EUR", "nl"),
    Country("CA", "en_CA", 5, "ca", "CAD", "en"),
    Country("AU", "en_AU", 4, "com.au", "AUD", "en"),
    Country("ES", "es_ES", 4, "es", "EUR", "es"),
    Country("IT", "it_IT", 4, "it", "EUR", "it"),
    Country("SE", "sv_SE", 3, "se", "SEK", "sv"),
    Country("CH", "de_CH", 3, "ch", "CHF", "de"),
    Country("IE", "en_IE", 2, "ie", "EUR", "en", has_region=False),
    Country("BR", "pt_BR", 3, "com.br", "BRL", "pt"),
    Country("IN", "en_IN", 3, "in", "INR", "en"),
    Country("PL", "pl_PL", 2, "pl", "PLN", "pl"),
    Country("DK", "da_DK", 2, "dk", "DKK", "da"),
]

INDUSTRIES = {
    "Software": 14,
    "Manufacturing": 10,
    "Financial services": 8,
    "Healthcare": 7,
    "Retail": 7,
    "Logistics": 6,
    "Consulting": 6,
    "Education": 4,
    "Energy": 4,
    "Telecommunications": 4,
    "Media": 3,
    "Hospitality": 3,
    "Construction": 4,
    "Automotive": 3,
    "Food & beverage": 4,
    "Pharmaceuticals": 3,
    "Real estate": 3,
    "Insurance": 3,
    "Non-profit": 2,
    "Government": 2,
}

# Made-up brand names for half the accounts; the other half use the locale's company names.
BRAND_STARTS = [
    "Blue", "North", "Silver", "Bright", "Green", "Clear", "Swift", "Iron", "Summit", "Nova",
    "Red", "Oak", "Pine", "Star", "Cloud", "River", "Stone", "Sun", "Peak", "True",
]  # fmt: skip
BRAND_ENDS = [
    "wind", "field", "point", "bridge", "line", "works", "gate", "path", "wave", "forge",
    "light", "stack", "hub", "core", "ridge", "port", "leaf", "crest", "mark", "vale",
]  # fmt: skip
BRAND_KINDS = {
    "Software": ["Software", "Labs", "Systems", "Analytics"],
    "Manufacturing": ["Industries", "Manufacturing", "Components"],
    "Financial services": ["Capital", "Finance", "Partners"],
    "Logistics": ["Logistics", "Freight", "Transport"],
    "Consulting": ["Consulting", "Advisors", "Group"],
    "Energy": ["Energy", "Power", "Renewables"],
}

# Words dropped when a company name becomes a domain name.
LEGAL_WORDS = {
    "and", "und", "et", "e", "y", "en", "og", "och", "i", "&", "co", "inc", "llc", "ltd", "plc",
    "gmbh", "ag", "kg", "kgaa", "mbh", "ohg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
    "ab", "as", "a/s", "sp", "z", "o", "oo", "sl", "slne", "ltda", "me", "group", "groep",
    "fils", "figli", "filhos", "son", "sons", "søn", "sønner", "the", "de", "der", "van", "la",
}  # fmt: skip

FREE_MAIL_DOMAINS = {"gmail.com": 10, "outlook.com": 5, "yahoo.com": 3, "proton.me": 1}

TITLES = {
    "Chief Executive Officer": 2,
    "Chief Financial Officer": 2,
    "Chief Technology Officer": 2,
    "Head of Marketing": 3,
    "Marketing Manager": 6,
    "Sales Director": 3,
    "Account Executive": 6,
    "Procurement Manager": 5,
    "IT Manager": 6,
    "Operations Manager": 6,
    "Software Engineer": 6,
    "Office Manager": 4,
    "HR Business Partner": 3,
    "Product Manager": 5,
    "Customer Success Manager": 4,
    "Finance Controller": 4,
    "Data Analyst": 4,
    "Project Manager": 6,
    "Purchasing Assistant": 3,
}
DECISION_MAKER_TITLES = {
    "Chief Executive Officer",
    "Chief Financial Officer",
    "Chief Technology Officer",
    "Head of Marketing",
    "Sales Director",
}

# Contacts at an account lean towards later stages; people without one towards early ones.
STAGES_WITH_ACCOUNT = {
    "subscriber": 4,
    "lead": 22,
    "mql": 12,
    "sql": 9,
    "opportunity": 9,
    "customer": 33,
    "evangelist": 5,
    "churned": 6,
}
STAGES_WITHOUT_ACCOUNT = {"subscriber": 45, "lead": 35, "mql": 12, "sql": 4, "customer": 4}

GENDERS = {"female": 48, "male": 48, "non_binary": 1, "undisclosed": 3}

INTERESTS = [
    "analytics", "automation", "cloud", "security", "sustainability", "ai", "mobile",
    "e-commerce", "customer experience", "compliance", "integrations", "reporting", "training",
]  # fmt: skip
VALUES = [
    "quality", "price", "innovation", "support", "reliability", "sustainability", "speed",
    "flexibility", "transparency",
]  # fmt: skip

CONSENT_SOURCES = {"web_form": 5, "import": 2, "event": 2, "manual": 1, "api": 1}

TAG_COLORS = {
    "vip": "#d63384",
    "newsletter": "#0d6efd",
    "partner": "#198754",
    "strategic": "#6f42c1",
    "reseller": "#20c997",
    "event-2025": "#fd7e14",
    "webinar": "#0dcaf0",
    "beta-tester": "#ffc107",
    "decision-maker": "#dc3545",
}

TIERS = ["bronze", "silver", "gold", "platinum"]
CHANNELS = {"email": 50, "phone": 20, "sms": 8, "whatsapp": 10, "in_person": 12}
