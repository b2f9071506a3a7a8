"""Value pools for the synthetic French patient tables.

Every string here must encode in latin-1 (no "œ", no typographic quotes): some leaks are
written in latin-1, as real French exports often are, and a value that cannot be encoded
would silently change the ground truth.
"""

# (name, weight). A few very common names carry most of the weight on purpose: hard
# negatives need strangers who share first and last names with registered people.
MALE_FIRST = [
    ("Jean", 8), ("Pierre", 6), ("Michel", 6), ("Philippe", 5), ("Nicolas", 5), ("Alain", 4),
    ("Christophe", 4), ("Patrick", 4), ("Daniel", 3), ("Jacques", 3), ("Éric", 3), ("Frédéric", 3),
    ("Laurent", 3), ("Stéphane", 3), ("Thierry", 2), ("David", 3), ("Julien", 3), ("Sébastien", 3),
    ("Jérôme", 2), ("François", 3), ("Olivier", 2), ("Gérard", 2), ("René", 1), ("André", 2),
    ("Hugo", 2), ("Lucas", 2), ("Théo", 2), ("Noé", 1), ("Léo", 2), ("Gabriel", 2), ("Raphaël", 2),
    ("Louis", 2), ("Arthur", 1), ("Maël", 1), ("Jean-Pierre", 2), ("Jean-Claude", 2),
    ("Jean-Luc", 1), ("Jean-François", 1), ("Jean-Marc", 1), ("Pierre-Yves", 1),
    ("Jean-Baptiste", 1), ("Mohamed", 2), ("Karim", 1), ("Mamadou", 1), ("Yanis", 1),
    ("Timothée", 1), ("Benoît", 1), ("Hervé", 1), ("Loïc", 1), ("Gaël", 1), ("Joël", 1), ("Noël", 1),
]
FEMALE_FIRST = [
    ("Marie", 8), ("Nathalie", 5), ("Isabelle", 5), ("Sylvie", 4), ("Catherine", 4),
    ("Françoise", 3), ("Hélène", 3), ("Christine", 3), ("Monique", 2), ("Sandrine", 3),
    ("Valérie", 3), ("Véronique", 2), ("Céline", 3), ("Stéphanie", 3), ("Émilie", 2), ("Aurélie", 2),
    ("Julie", 3), ("Camille", 2), ("Léa", 2), ("Chloé", 2), ("Zoé", 1), ("Inès", 1), ("Manon", 2),
    ("Emma", 2), ("Jade", 1), ("Louise", 1), ("Anaïs", 1), ("Maëlle", 1), ("Noémie", 1),
    ("Clémence", 1), ("Mélanie", 1), ("Geneviève", 1), ("Thérèse", 1), ("Agnès", 1),
    ("Bérénice", 1), ("Marie-Thérèse", 1), ("Marie-Claude", 1), ("Anne-Marie", 2),
    ("Marie-Hélène", 1), ("Marie-France", 1), ("Anne-Sophie", 1), ("Fatima", 1), ("Aïcha", 1),
    ("Awa", 1), ("Nadège", 1), ("Océane", 1), ("Gisèle", 1), ("Solène", 1),
]
LAST = [
    ("Martin", 12), ("Bernard", 8), ("Dubois", 8), ("Thomas", 7), ("Robert", 6), ("Richard", 6),
    ("Petit", 6), ("Durand", 6), ("Leroy", 5), ("Moreau", 5), ("Simon", 5), ("Laurent", 5),
    ("Lefebvre", 5), ("Michel", 5), ("Garcia", 4), ("David", 4), ("Bertrand", 4), ("Roux", 4),
    ("Vincent", 4), ("Fournier", 4), ("Morel", 4), ("Girard", 4), ("André", 3), ("Lefèvre", 3),
    ("Mercier", 3), ("Dupont", 3), ("Lambert", 3), ("Bonnet", 3), ("François", 3), ("Martinez", 3),
    ("Le Gall", 2), ("Le Goff", 2), ("Le Roux", 1), ("Le Bihan", 1), ("Le Floch", 1),
    ("Dupont-Martin", 1), ("Lemaire-Dubois", 1), ("Martin-Lefèvre", 1), ("N'Diaye", 2),
    ("N'Guessan", 1), ("D'Almeida", 1), ("Da Silva", 2), ("Dos Santos", 2), ("De La Fontaine", 1),
    ("Nguyen", 2), ("Benali", 1), ("Traoré", 1), ("Diallo", 1), ("Kowalski", 1), ("Müller", 1),
    ("Lévêque", 1), ("Crémieux", 1), ("Hébert", 1), ("Gauthier", 2), ("Chevalier", 2),
    ("Rousseau", 2), ("Blanc", 2), ("Guérin", 2), ("Henry", 2), ("Roussel", 1), ("Nicolas", 2),
    ("Perrin", 2), ("Morin", 2), ("Mathieu", 2), ("Clément", 2), ("Dumont", 2), ("Lopez", 2),
    ("Fontaine", 2), ("Robin", 2), ("Masson", 2), ("Sanchez", 2), ("Noël", 1), ("Boyer", 1),
    ("Denis", 1), ("Lemaire", 1), ("Duval", 1), ("Joly", 1), ("Gaillard", 1), ("Brun", 1),
    ("Roche", 1), ("Renaud", 1), ("Colin", 1), ("Arnaud", 1), ("Picard", 1), ("Bouvier", 1),
    ("Lacroix", 1), ("Barbier", 1), ("Étienne", 1), ("Caron", 1), ("Ménard", 1), ("Giraud", 1),
    ("Aubert", 1), ("Marchand", 1), ("Rémy", 1), ("Lebrun", 1), ("Bréhaut", 1), ("Château", 1),
]

# The long tail. Real surnames are heavy-tailed (France has about 1.3 million; in a lab table
# of a few thousand patients most surnames appear once or twice), and so, less, are first
# names: a world of a hundred surnames makes every name a common one, and no name evidence
# could ever be trusted in it. The tails are made of syllables (ASCII, so latin-1 safe),
# deterministically, and take most of the weight; the common names above stay the head.
_SURNAME_STARTS = ["Ber", "Gau", "Lau", "Mar", "Pel", "Rou", "Tes", "Vil", "Char", "Mon", "Del", "Four", "Gil",
                   "Bou", "Cha", "Dau", "Fer", "Lam", "Pau", "Ros", "Sau", "Tou", "Vau", "Bro", "Cou", "Gro",
                   "Lan", "Mau", "Pon", "Ri", "Ser", "Tal", "Bar", "Col", "Dur", "Fa", "Gar", "Her", "Jou", "Le"]
_SURNAME_MIDDLES = ["", "", "ti", "ne", "ri", "la", "vi", "bo", "me", "ro"]
_SURNAME_ENDS = ["tier", "ard", "elle", "ier", "aud", "ot", "in", "eau", "on", "at", "et", "ais", "and", "ou",
                 "ille", "ac", "ey", "ant", "oux", "ec"]
SURNAME_TAIL = sorted({f"{a}{m}{e}" for a in _SURNAME_STARTS for m in _SURNAME_MIDDLES for e in _SURNAME_ENDS})
_GIVEN_STARTS = ["Al", "Ber", "Cla", "Da", "El", "Fa", "Ga", "Hen", "Ir", "Jo", "Ka", "Li", "Ma", "Ni", "O",
                 "Pa", "Ro", "Sa", "Ti", "Va"]
_MALE_ENDS = ["bert", "ric", "lin", "mon", "rius", "ven", "tan", "dric", "rent", "vin"]
_FEMALE_ENDS = ["line", "rine", "lie", "nne", "delle", "rielle", "stine", "lette", "rence", "mine"]
MALE_TAIL = sorted({a + e for a in _GIVEN_STARTS for e in _MALE_ENDS})
FEMALE_TAIL = sorted({a + e for a in _GIVEN_STARTS for e in _FEMALE_ENDS})
# Share of people whose name comes from the tail: surnames 80 % (the head keeps about the
# weight the commonest French surnames carry), first names 50 %.
SURNAME_TAIL_SHARE, GIVEN_TAIL_SHARE = 0.8, 0.5


def with_tail(head: list, tail: list, share: float) -> list:
    """(name, weight) pairs of head and tail, the tail carrying `share` of the weight."""
    head_weight = sum(w for _, w in head)
    each = head_weight * share / (1 - share) / len(tail)
    return head + [(name, each) for name in tail]


# department -> (landline prefix, [(city, postcode, INSEE commune number)]). The commune
# number is what goes into the NIR of people born there: 3 digits, 2 for overseas (97x),
# whose department takes 3 digits instead.
DEPARTMENTS = {
    "75": ("01", [("Paris", "75011", "111"), ("Paris", "75015", "115"), ("Paris", "75018", "118"),
                  ("Paris", "75020", "120"), ("Paris", "75005", "105")]),
    "69": ("04", [("Lyon", "69003", "383"), ("Lyon", "69007", "387"), ("Villeurbanne", "69100", "266"),
                  ("Vénissieux", "69200", "259"), ("Caluire-et-Cuire", "69300", "034")]),
    "13": ("04", [("Marseille", "13005", "205"), ("Marseille", "13013", "213"),
                  ("Aix-en-Provence", "13100", "001"), ("Aubagne", "13400", "005"),
                  ("Martigues", "13500", "056")]),
    "31": ("05", [("Toulouse", "31000", "555"), ("Toulouse", "31500", "555"), ("Colomiers", "31770", "149"),
                  ("Blagnac", "31700", "069"), ("Muret", "31600", "395")]),
    "33": ("05", [("Bordeaux", "33000", "063"), ("Mérignac", "33700", "281"), ("Pessac", "33600", "318"),
                  ("Talence", "33400", "522")]),
    "59": ("03", [("Lille", "59000", "350"), ("Roubaix", "59100", "512"), ("Tourcoing", "59200", "599"),
                  ("Villeneuve-d'Ascq", "59650", "009"), ("Dunkerque", "59140", "183")]),
    "44": ("02", [("Nantes", "44000", "109"), ("Saint-Nazaire", "44600", "184"), ("Rezé", "44400", "143"),
                  ("Saint-Herblain", "44800", "162")]),
    "67": ("03", [("Strasbourg", "67000", "482"), ("Haguenau", "67500", "180"),
                  ("Schiltigheim", "67300", "447"), ("Illkirch-Graffenstaden", "67400", "218")]),
    "35": ("02", [("Rennes", "35000", "238"), ("Saint-Malo", "35400", "288"), ("Fougères", "35300", "115"),
                  ("Vitré", "35500", "360")]),
    "34": ("04", [("Montpellier", "34000", "172"), ("Béziers", "34500", "032"), ("Sète", "34200", "301"),
                  ("Lunel", "34400", "145")]),
    "06": ("04", [("Nice", "06000", "088"), ("Cannes", "06400", "029"), ("Antibes", "06600", "004"),
                  ("Grasse", "06130", "069")]),
    "29": ("02", [("Brest", "29200", "019"), ("Quimper", "29000", "232"), ("Morlaix", "29600", "151"),
                  ("Concarneau", "29900", "039")]),
    "93": ("01", [("Saint-Denis", "93200", "066"), ("Montreuil", "93100", "048"),
                  ("Aubervilliers", "93300", "001"), ("Bobigny", "93000", "008")]),
    "92": ("01", [("Boulogne-Billancourt", "92100", "012"), ("Nanterre", "92000", "050"),
                  ("Courbevoie", "92400", "026"), ("Colombes", "92700", "025")]),
    "2A": ("04", [("Ajaccio", "20000", "004"), ("Porto-Vecchio", "20137", "247"),
                  ("Propriano", "20110", "249"), ("Sartène", "20100", "272")]),
    "2B": ("04", [("Bastia", "20200", "033"), ("Corte", "20250", "096"), ("Calvi", "20260", "050"),
                  ("L'Île-Rousse", "20220", "134")]),
    "974": ("02", [("Saint-Denis", "97400", "11"), ("Saint-Paul", "97460", "15"),
                   ("Saint-Pierre", "97410", "16"), ("Le Tampon", "97430", "22")]),
    "971": ("05", [("Pointe-à-Pitre", "97110", "20"), ("Les Abymes", "97139", "01"),
                   ("Baie-Mahault", "97122", "03")]),
    "57": ("03", [("Metz", "57000", "463"), ("Thionville", "57100", "672"), ("Forbach", "57600", "227"),
                  ("Sarreguemines", "57200", "631")]),
    "38": ("04", [("Grenoble", "38000", "185"), ("Saint-Martin-d'Hères", "38400", "421"),
                  ("Échirolles", "38130", "151"), ("Vienne", "38200", "544")]),
    "76": ("02", [("Rouen", "76000", "540"), ("Le Havre", "76600", "351"), ("Dieppe", "76200", "217"),
                  ("Sotteville-lès-Rouen", "76300", "681")]),
    "63": ("04", [("Clermont-Ferrand", "63000", "113"), ("Riom", "63200", "300"),
                  ("Cournon-d'Auvergne", "63800", "124"), ("Issoire", "63500", "178")]),
    "21": ("03", [("Dijon", "21000", "231"), ("Beaune", "21200", "054"), ("Chenôve", "21300", "166"),
                  ("Talant", "21240", "617")]),
    "87": ("05", [("Limoges", "87000", "085"), ("Saint-Junien", "87200", "154"), ("Panazol", "87350", "114"),
                  ("Couzeix", "87270", "050")]),
}
# Where the 30 labs are: big departments get two labs, so two registered institutions
# share cities, postcodes and the local phone prefix (a hard case for attribution).
LAB_DEPARTMENTS = list(DEPARTMENTS) + ["75", "13", "69", "59", "33", "31"]
# Big cities that people of every lab may live in: cities overlap across labs on purpose.
BIG_CITY_DEPARTMENTS = ["75", "69", "13", "31", "59", "44", "33"]
# Born abroad: NIR department "99" + INSEE country code (Morocco, Algeria, Tunisia, Portugal).
ABROAD_COUNTRIES = ["350", "352", "351", "139"]

STREET_TYPES = ["rue", "rue", "rue", "avenue", "boulevard", "place", "impasse", "chemin", "allée"]
STREETS = [
    "Victor Hugo", "de la République", "Jean Jaurès", "du Général de Gaulle", "Pasteur", "de la Gare",
    "des Lilas", "Gambetta", "Voltaire", "de l'Église", "du Moulin", "des Écoles", "Jules Ferry",
    "Émile Zola", "de la Paix", "Anatole France", "du Château", "Saint-Michel", "des Peupliers",
    "de Verdun", "des Acacias", "Paul Bert", "de la Liberté", "Louis Pasteur", "du Stade",
]

# French blood-group frequencies (EFS), in percent.
BLOOD_GROUPS = [("O+", 36), ("A+", 37), ("B+", 9), ("AB+", 3), ("O-", 6), ("A-", 7), ("B-", 1), ("AB-", 1)]

EMAIL_PROVIDERS = [("gmail.com", 30), ("orange.fr", 15), ("free.fr", 10), ("hotmail.fr", 10),
                   ("yahoo.fr", 8), ("laposte.net", 7), ("sfr.fr", 6), ("wanadoo.fr", 6), ("outlook.fr", 5)]

# Free-text notes; most are empty, as in a real lab table.
NOTES = [
    "RAS", "à jeun", "allergie pénicilline", "diabète type 2", "séropositif HIV", "hypertension",
    "grossesse 12 SA", "contrôle INR", "hépatite C", "bilan lipidique", "traitement Lévothyrox",
    "insuffisance rénale", "sous anticoagulant", "prélèvement difficile", "patient anxieux",
    "VIH+ suivi CHU", "dépistage IST", "chimiothérapie en cours",
]

MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre"]
MONTHS_FR_ABBR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                  "nov.", "déc."]

# Lines of hacker chatter around a teaser; {n}, {price} and {k} are filled in.
CHATTER = [
    "selling full db {k}k lines, contact on tox",
    "fresh french medical leak, {k}k patients, NIR + blood group + notes",
    "price {price}$ in XMR, escrow accepted",
    "sample below, {n} lines, rest on request",
    "dont waste my time, serious buyers only",
    "from ~30 labs, dumped via the lab software, everything inside",
    "bump",
    "legit? anyone bought from this guy before",
    "vouch, got the sample, data checks out",
    "jabber: dumpking@xmpp.jp   tox: 56A1E3F09B...",
    "PM for full, {price} EUR or best offer",
    "proof:",
]
