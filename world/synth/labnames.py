"""Name pools of the lab-scale world: French surnames with a long tail, first names by era,
streets, towns, doctors, insurers, exams, comments.

Every string must encode in latin-1 (no "oe" ligature, no typographic quotes): labs and
leaks are written in latin-1 too, and a value that cannot be encoded would change the truth.
"""

import bisect
import itertools
import random

def _surnames(text):
    out = []
    for word in text.split():
        if out and out[-1] in ("Le", "Da"):
            out[-1] += " " + word      # "Le Gall", "Da Silva": one surname
        else:
            out.append(word)
    return out


# The most common French surnames, in rank order (INSEE births 1891-1990), then a few common
# surnames of immigrant families. Their weights fall as rank^-HEAD_EXPONENT, and together
# they carry HEAD_MASS of the population.
HEAD_SURNAMES = _surnames("""Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel
Lefebvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent
Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia
Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie
Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud
Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud
Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte
Lopez Jean Dupuy Guillot Hubert Berger Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez
Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier
Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le Gall Collet Léger Bouvier Julien Prévost
Millet Perrot Daniel Le Roux Cousin Germain Breton Besson Langlois Rémy Le Goff Pelletier Lévêque Perrier
Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet
Étienne Grondin Poulain Tessier Chevallier Collin Chauvin Da Silva Bouchet Gay Lemaître Bénard Maréchal
Humbert Reynaud Antoine Hoarau Perret Barthélemy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier
Carlier Laporte Nguyen N'Diaye Diallo Traoré Benali Dos Santos""".replace("Dos Santos", "Dos_Santos"))
HEAD_SURNAMES = [n.replace("_", " ") for n in HEAD_SURNAMES]
# Martin, the most common surname, is borne by about 0.35 % of people in France; with 200
# head names weighted rank^-0.6, a head mass of 6 % gives it that share.
HEAD_MASS = 0.06
HEAD_EXPONENT = 0.6
# About 1.3 million distinct surnames are borne in France. The tail is drawn from that many
# composed names, rank r weighted r^-TAIL_EXPONENT from TAIL_START on: 0.8 leaves half the
# people with a surname ranked past ~90,000, so a lab of 16,000 patients sees most of its
# surnames 1-3 times, as a real one does.
TAIL_NAMES = 1_440_000
TAIL_EXPONENT = 0.9
TAIL_START = 150
# Families stay put: a share of a region's people bear one of its LOCAL_NAMES local surnames
# (Zipf-weighted), so a surname of the tail repeats within a lab and its towns, as it does.
LOCAL_SHARE = 0.25
LOCAL_NAMES = 2000
LOCAL_EXPONENT = 0.5
# Double-barrelled surnames ("Martin-Dubois"): a few percent of people.
DOUBLE_SURNAME = 0.02

_ONSETS = ("Bar Ber Bou Cha Che Cou Dau Del Des Du Fa Fer Fou Gar Gau Gil Gra Gui Jo La Le Lou Ma Mar Mau Mo "
           "Pa Per Pi Pou Ra Re Ri Rou Sa Ser Ta Tho Va Vi").split()
_MIDDLES = ("ba che de gue li lle ma ne ri ro sa te vi qui gna bre dri tra vre sse nde rne rla nti rdi rte "
            "sto mbe ffo").split() + [""]
_ENDINGS = ("t ud rd ux r l n s au eau ier ière et ot on in and ard ault ac at ey ez y ain ais ant as el elle "
            "ens erre ette eux ias ine oux ou uel al").split()
assert len(_ONSETS) * len(_MIDDLES) ** 2 * len(_ENDINGS) >= TAIL_NAMES


def tail_surname(rank: int) -> str:
    """The composed surname of a tail rank: a fixed bijection of ranks onto syllable tuples
    (7919 is prime to the table size), so neighbouring ranks do not share syllables."""
    code = (rank * 7919 + 104_729) % TAIL_NAMES
    code, end = divmod(code, len(_ENDINGS))
    code, mid2 = divmod(code, len(_MIDDLES))
    code, mid1 = divmod(code, len(_MIDDLES))
    onset = code % len(_ONSETS)
    return _ONSETS[onset] + _MIDDLES[mid1] + _MIDDLES[mid2] + _ENDINGS[end]


class Surnames:
    """Draws surnames: the head of real names, else a Zipf-weighted composed tail."""

    def __init__(self):
        weights = [1 / (r + 1) ** HEAD_EXPONENT for r in range(len(HEAD_SURNAMES))]
        self._head_cum = list(itertools.accumulate(w / sum(weights) for w in weights))
        self._a = TAIL_START ** (1 - TAIL_EXPONENT)
        self._b = (TAIL_START + TAIL_NAMES) ** (1 - TAIL_EXPONENT)
        self._cache = {}
        self._local_cum = list(itertools.accumulate(1 / (j + 1) ** LOCAL_EXPONENT for j in range(LOCAL_NAMES)))

    def draw(self, rng: random.Random, region: int = 0) -> str:
        """A surname of someone living in `region` (any int: regions' local names differ)."""
        if rng.random() < DOUBLE_SURNAME:
            return f"{self._one(rng, region)}-{self._one(rng, region)}"
        return self._one(rng, region)

    def _one(self, rng: random.Random, region: int) -> str:
        u = rng.random()
        if u < LOCAL_SHARE:
            j = bisect.bisect_left(self._local_cum, rng.random() * self._local_cum[-1])
            return self._tail(TAIL_START + (region * 7_777_777 + j * 104_723) % (TAIL_NAMES - TAIL_START))
        u = (u - LOCAL_SHARE) / (1 - LOCAL_SHARE)
        if u < HEAD_MASS:
            return HEAD_SURNAMES[bisect.bisect_left(self._head_cum, u / HEAD_MASS)]
        # Inverse CDF of the continuous power law between TAIL_START and TAIL_START + TAIL_NAMES.
        v = (u - HEAD_MASS) / (1 - HEAD_MASS)
        rank = int((self._a + v * (self._b - self._a)) ** (1 / (1 - TAIL_EXPONENT))) - TAIL_START
        return self._tail(min(max(rank, 0), TAIL_NAMES - 1))

    def _tail(self, rank: int) -> str:
        name = self._cache.get(rank)
        if name is None:
            name = self._cache[rank] = tail_surname(rank)
        return name


# First names by birth era and sex, most given first (INSEE first-name file, rounded): the
# head of each era. A person takes one of these with FIRST_HEAD_MASS, else a rarer name.
FIRST_NAMES = {
    1900: ("Jean Pierre Louis André René Marcel Georges Henri Roger Paul Joseph Maurice Robert Lucien Raymond "
           "Albert Marius Fernand Émile Léon Jacques Roland Gaston Camille Eugène",
           "Marie Jeanne Germaine Marguerite Suzanne Louise Madeleine Yvonne Simone Marcelle Andrée Lucienne "
           "Denise Paulette Odette Renée Berthe Hélène Raymonde Juliette Georgette Gilberte Alice Thérèse "
           "Henriette"),
    1935: ("Jean Michel Pierre André Claude Jacques Bernard René Gérard Daniel Roger Robert Marcel Guy Maurice "
           "Jean-Pierre Jean-Claude Alain Christian Raymond Georges Louis Henri Jean-Marie Jean-Louis",
           "Marie Jacqueline Monique Colette Nicole Jeannine Simone Denise Paulette Yvette Françoise Odette "
           "Suzanne Micheline Madeleine Josiane Danielle Ginette Marie-Thérèse Andrée Arlette Christiane "
           "Geneviève Huguette Lucienne"),
    1950: ("Michel Alain Philippe Patrick Jean-Pierre Bernard Christian Daniel Gérard Jean-Claude Jacques Dominique "
           "Didier Jean Serge Jean-Luc Pierre Gilles Francis Jean-Paul Joël Thierry Guy Claude Jean-Marc",
           "Martine Françoise Monique Nicole Catherine Christine Sylvie Brigitte Danielle Chantal Marie Annie "
           "Michèle Dominique Joëlle Patricia Evelyne Josiane Marie-Claude Jacqueline Christiane Marie-France "
           "Elisabeth Claudine Colette"),
    1965: ("Christophe Stéphane Laurent Frédéric Éric Pascal Thierry Olivier Philippe Patrick Franck David "
           "Nicolas Didier Bruno Jérôme Emmanuel Jean-Marc Vincent Lionel Sébastien Fabrice Xavier Hervé Gilles",
           "Nathalie Isabelle Sylvie Sandrine Valérie Véronique Catherine Corinne Christine Karine Patricia "
           "Laurence Florence Martine Stéphanie Marie Céline Virginie Christelle Delphine Muriel Carole "
           "Pascale Séverine Agnès"),
    1980: ("Nicolas Julien Sébastien Guillaume Mathieu Jérôme Romain Anthony Kévin Jérémy Maxime Alexandre "
           "Thomas Cédric Vincent Benjamin Pierre David Arnaud Christophe Florian Damien Ludovic Mickaël Yannick",
           "Aurélie Céline Julie Émilie Stéphanie Élodie Audrey Sandrine Virginie Laetitia Sarah Marion Caroline "
           "Mélanie Amandine Jennifer Anne Marie Laura Sophie Anaïs Camille Claire Vanessa Karine"),
    1995: ("Thomas Lucas Hugo Théo Maxime Alexandre Antoine Quentin Nicolas Clément Enzo Nathan Romain Julien "
           "Louis Baptiste Valentin Kévin Mathis Paul Florian Alexis Dylan Corentin Arthur",
           "Léa Manon Camille Chloé Laura Marie Océane Sarah Emma Inès Pauline Mathilde Clara Justine Lucie "
           "Marine Anaïs Julie Lisa Louise Juliette Morgane Jade Emilie Charlotte"),
    2010: ("Gabriel Jules Louis Raphaël Arthur Adam Léo Lucas Hugo Nathan Paul Ethan Noah Liam Sacha Mohamed "
           "Tom Maël Timéo Gabin Aaron Nolan Théo Eden Martin",
           "Emma Jade Louise Alice Chloé Lina Léa Rose Anna Mila Inès Ambre Julia Lou Mia Léna Manon Zoé Juliette "
           "Agathe Camille Sarah Lola Romane Nina"),
}
# Rarer first names of every era, each rare: a long tail beside each era's head.
TAIL_FIRST = {
    "M": ("Abdel Achille Adrien Ahmed Aimé Alain-Pierre Albin Alexis Alfred Ali Amadou Amaury Ambroise Anatole "
          "Anselme Aristide Armand Arnaud Aubin Augustin Aurélien Axel Aymeric Bastien Benoît Bertrand Blaise "
          "Boris Brahim Brice Calixte Casimir Célestin César Charles Côme Constant Cyprien Cyril Damien Denis "
          "Désiré Diego Djamel Edgar Edmond Élie Elliot Émilien Ernest Erwan Étienne Eugène Évan Fabien Farid "
          "Félix Ferdinand Firmin Florent Francis Gaël Gaétan Gaspard Gauthier Germain Ghislain Gilbert Godefroy "
          "Grégoire Gwenaël Hamza Hector Hippolyte Honoré Ibrahim Ignace Igor Ilan Isaac Ismaël Jason "
          "Jean-Baptiste "
          "Jean-Christophe Jean-Philippe Joachim Joris Josselin Judicaël Jules-Henri Karim Killian Lazare Léandre "
          "Léonard Léopold Loïc Loris Lothaire Lucien Ludovic Malo Mamadou Marc Marceau Marin Marius Mathias "
          "Maxence "
          "Médéric Mehdi Milan Morgan Moussa Nabil Naël Narcisse Nestor Octave Omar Oscar Pacôme Pascal Philémon "
          "Prosper Quentin Rachid Rayan Régis Rémi Renaud Rodolphe Rodrigue Rudy Ruben Sacha Salomon Samir Samuel "
          "Séraphin Simon Siméon Soufiane Sylvain Tanguy Téo Théodore Tristan Ulysse Urbain Valentin Victor "
          "Vivien Wassim Xavier Yacine Yanis Yann Yassine Yves Yvon Zacharie"),
    "F": ("Adèle Adeline Agnès Aïcha Albane Albertine Alexandra Aline Alix Amandine Amélie Angèle Angélique "
          "Annabelle Anne-Laure Anne-Sophie Annick Apolline Ariane Armelle Astrid Aude Augustine Aurore Awa Axelle "
          "Barbara Bérangère Bérénice Bernadette Blandine Brigitte Capucine Capucine Carla Cassandre Cécile "
          "Célestine Chantal Charline Clarisse Clémence Clotilde Coralie Cyrielle Daphné Diane Dorothée Edith "
          "Éléonore Éliane Élise Eloïse Elsa Emmanuelle Estelle Eugénie Fanny Fatima Fatoumata Faustine Flavie "
          "Flore Gaëlle Gisèle Gwendoline Hortense Irène Iris Jasmine Joséphine Judith Karima Khadija Laure "
          "Léonie Lila Liliane Louna Lucile Ludivine Maëlle Maëva Malika Margaux Marie-Anne Marie-Hélène "
          "Marie-Laure Marie-Noëlle Marine Marjorie Maryse Mathilde Maud Maryline Mélodie Mireille Myriam Nadège "
          "Nadia Naïma Noémie Nora Ophélie Pénélope Perrine Philippine Priscilla Rachel Rebecca Romane Rosalie "
          "Roseline Salomé Samia Samira Ségolène Servane Sidonie Solange Solène Sonia Soraya Tiphaine Valentine "
          "Victoire Violette Viviane Wendy Yasmine Yolande Zélie Zohra"),
}
# An era's head names carry about 75 % of its births in the INSEE file; the rest are rare.
FIRST_HEAD_MASS = 0.75
# Within an era's head the most given name is a few times as frequent as the 25th.
FIRST_HEAD_EXPONENT = 0.9


class FirstNames:
    """Draws a first name for a sex and a birth year."""

    def __init__(self):
        self._eras = sorted(FIRST_NAMES)
        self._tables = {}
        for era, (male, female) in FIRST_NAMES.items():
            for sex, text in (("M", male), ("F", female)):
                names = text.split()
                weights = [1 / (r + 1) ** FIRST_HEAD_EXPONENT for r in range(len(names))]
                self._tables[era, sex] = (names, list(itertools.accumulate(weights)))
        self._tail = {sex: sorted(set(text.split())) for sex, text in TAIL_FIRST.items()}

    def draw(self, rng: random.Random, sex: str, year: int) -> str:
        if rng.random() >= FIRST_HEAD_MASS:
            return rng.choice(self._tail[sex])
        era = self._eras[max(0, bisect.bisect_right(self._eras, year) - 1)]
        # A quarter of people get a name of the neighbouring era: fashions are not sharp.
        if rng.random() < 0.25:
            i = self._eras.index(era) + rng.choice((-1, 1))
            era = self._eras[min(max(i, 0), len(self._eras) - 1)]
        names, cum = self._tables[era, sex]
        return rng.choices(names, cum_weights=cum)[0]


# Streets named after people: a street word next to a patient's own name ("12 rue Victor
# Hugo", "3 allée Jean Moulin").
STREET_PEOPLE = ("Victor Hugo|Jean Jaurès|Jean Moulin|Louis Pasteur|Émile Zola|Jules Ferry|Anatole France|"
                 "Paul Bert|Gambetta|Voltaire|Charles de Gaulle|Georges Clemenceau|Pierre Curie|Marie Curie|"
                 "Simone Veil|Jean Mermoz|Aristide Briand|Albert Camus|Martin Luther King|Robert Schuman|"
                 "Léon Blum|Henri Barbusse|Paul Vaillant-Couturier|Gabriel Péri|Maurice Thorez|Jacques Prévert|"
                 "Louis Blanc|Pierre Brossolette|Jean Macé|Edouard Herriot|Michel Ange|Thomas Edison|"
                 "Alexandre Dumas|George Sand|Frédéric Mistral|Claude Debussy|Hector Berlioz|Saint-Exupéry|"
                 "Colonel Fabien|Maréchal Foch|Général Leclerc|Roger Salengro|Jean Bart|Lazare Carnot|"
                 "François Mitterrand|Jules Verne|Guy Môquet|Danielle Casanova|Louise Michel|Rosa Parks").split("|")
STREET_PLACES = ("de la République|de la Gare|des Lilas|de l'Église|du Moulin|des Écoles|de la Paix|"
                 "du Château|des Peupliers|de Verdun|des Acacias|de la Liberté|du Stade|des Tilleuls|"
                 "du 8 Mai 1945|du 11 Novembre|de la Mairie|des Vignes|du Lavoir|de la Fontaine|des Prés|"
                 "du Commerce|de Paris|des Jardins|du Port|de la Poste|des Cerisiers|du Parc").split("|")
# Kinds of street, weighted by how often addresses have them.
STREET_TYPES = (("rue", 50), ("avenue", 12), ("boulevard", 6), ("place", 4), ("impasse", 6), ("chemin", 8),
                ("allée", 8), ("route", 4), ("square", 2))
# A building or flat after the street, in some addresses.
ADDRESS_EXTRAS = ("Bât A", "Bât B", "Bât C", "Résidence Les Pins", "apt 12", "apt 4", "2e étage", "escalier B")

# Town names are composed from these: "Saint-Martin-sur-Loire", "Beaumont-les-Bains", "Le Mesnil".
TOWN_SAINTS = ("Martin Jean Pierre Germain Laurent Étienne Denis André Julien Georges Hilaire Aubin Médard "
               "Vincent Maurice Paul Michel Rémy Cyr Genis Marcel Symphorien Priest Romain Sulpice").split()
TOWN_SAINTES = "Marie Geneviève Foy Anne Hélène Luce Colombe Marguerite".split()
TOWN_ROOTS = ("Beaumont Montigny Villeneuve Neuville Fontaine Bellevue Châteauneuf Bourg Roche Mesnil Plessis "
              "Boissy Champigny Chaumont Clermont Fresnes Givry Jouy Lagny Marly Mareuil Montreuil Noisy Orly "
              "Pontault Quincy Ribemont Sully Thiais Vaux Vernon Villiers Vitry Brie Lussac Mauléon Pouilly "
              "Rochefort Sainte-Croix Sauveterre Tonnay Valence Varennes Verneuil").split()
TOWN_RIVERS = ("Seine Loire Marne Oise Saône Rhône Garonne Dordogne Lot Tarn Vienne Cher Indre Meuse Moselle "
               "Aisne Yonne Orne Vire Sarthe Isère Allier Durance Charente Somme").split()
TOWN_PAYS = "Brie Vexin Auge Bray Caux Forez Velay Vercors Diois Royans Gâtinais Hurepoix".split()

# "A dozen" insurers: the national health insurance, mutual insurers, insurance companies.
INSURERS = ("CPAM", "MGEN", "Harmonie Mutuelle", "MAAF Santé", "AG2R La Mondiale", "Malakoff Humanis",
            "La Mutuelle Générale", "MNT", "Swiss Life", "AXA", "Groupama", "CSS")

# About forty exams of a medical lab's daily work, the most prescribed first.
EXAMS = ("Glycémie à jeun", "NFS", "TSH", "Bilan lipidique", "HbA1c", "Créatinine", "Ferritine", "CRP",
         "Ionogramme", "Vitamine D", "PSA", "Sérologie VIH", "Sérologie hépatite C", "Sérologie hépatite B",
         "ECBU", "INR", "TP", "Bêta-HCG", "Groupe sanguin", "Bilan hépatique", "Transaminases", "Gamma GT",
         "Urée", "Acide urique", "Magnésium", "Calcémie", "Albumine", "Protéinurie", "Microalbuminurie",
         "T4 libre", "Cortisol", "Testostérone", "FSH", "Prolactine", "Vitamine B12", "Fer sérique", "D-dimères",
         "Troponine", "BNP", "PCR SARS-CoV-2", "Sérologie toxoplasmose", "Coproculture")

# Free-text comments: health notes (the most sensitive field of the 2021 file), practical
# notes, and notes naming somebody (a doctor, a relative) next to the patient's own name.
COMMENTS = ("séropositif HIV", "tumeur au cerveau", "diabète type 2", "sous anticoagulant", "grossesse 12 SA",
            "hépatite C chronique", "chimiothérapie en cours", "insuffisance rénale", "VIH+ suivi CHU",
            "dépistage IST", "allergie pénicilline", "traitement Lévothyrox", "cancer du sein, suivi",
            "patient dialysé", "à jeun", "RAS", "non à jeun", "prélèvement à domicile", "hémolysé, à refaire",
            "tube coagulé", "patient anxieux", "prélèvement difficile", "urgent", "contrôle dans 3 mois",
            "résultats au médecin traitant", "ordonnance non fournie", "résultats faxés Dr {doctor}",
            "prévenir sa fille {first}", "accompagné de son fils", "tiers payant", "à rappeler")
# Most comment cells of a lab export are empty.
COMMENT_SHARE = 0.45

# French blood-group frequencies (EFS), in percent.
BLOOD_GROUPS = (("O+", 36), ("A+", 37), ("B+", 9), ("AB+", 3), ("O-", 6), ("A-", 7), ("B-", 1), ("AB-", 1))
# E-mail providers of French households, weighted by rough market share.
EMAIL_PROVIDERS = (("gmail.com", 30), ("orange.fr", 15), ("free.fr", 10), ("hotmail.fr", 10), ("yahoo.fr", 8),
                   ("laposte.net", 7), ("sfr.fr", 6), ("wanadoo.fr", 6), ("outlook.fr", 5), ("icloud.com", 3))
