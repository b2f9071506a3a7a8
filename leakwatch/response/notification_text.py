"""The words of the notification draft, in English and French (one entry per phrase).

Kept apart from the document's structure so that a translator edits one file. Phrases take
str.format fields; none of them may receive a value from a dump.
"""

LANGS = ("en", "fr")

TEXT = {
    "title": {"en": "Personal data breach notification (draft): {institution}",
              "fr": "Notification de violation de données à caractère personnel (projet) : {institution}"},
    "intro": {"en": "Draft prepared by the leakwatch monitoring service for {institution}, to be completed and sent "
                    "to the supervisory authority (GDPR art. 33) and, where the risk is high, adapted for the people "
                    "concerned (art. 34). Passages in [brackets] are for you to complete.",
              "fr": "Projet préparé par le service de veille leakwatch pour {institution}, à compléter et à adresser "
                    "à l'autorité de contrôle (CNIL, article 33 du RGPD) et, si le risque est élevé, à adapter pour "
                    "les personnes concernées (article 34). Les passages entre [crochets] sont à compléter."},
    "deadline": {"en": "You were warned on {warned}: the 72-hour notification period of art. 33 ends on {deadline}.",
                 "fr": "Vous avez été averti le {warned} : le délai de 72 heures de l'article 33 expire le {deadline}."},
    "deadline_unknown": {"en": "No alert delivery is recorded yet: the 72-hour period of art. 33 runs from when you "
                               "became aware of the breach.",
                         "fr": "Aucune remise d'alerte n'est encore enregistrée : le délai de 72 heures de l'article 33 "
                               "court à partir du moment où vous avez pris connaissance de la violation."},
    "s_nature": {"en": "1. Nature of the breach", "fr": "1. Nature de la violation"},
    "nature": {"en": "Breach of confidentiality: a copy of records of your dataset \"{dataset}\" was published "
                     "on {sources} and found by automated monitoring. The copy was identified by keyed fingerprints "
                     "of your records; the monitor holds no copy of the data.",
               "fr": "Violation de la confidentialité : une copie d'enregistrements de votre jeu de données "
                     "« {dataset} » a été publiée sur {sources} et repérée par une veille automatisée. La copie a été "
                     "identifiée par des empreintes à clé de vos enregistrements ; le service de veille n'en détient "
                     "aucune copie."},
    # A dump given to `leakwatch scan` has no source (the spread calls it "scan"): it was not seen
    # published anywhere the monitor watches, and the draft does not say it was.
    "nature_submitted": {"en": "Breach of confidentiality: a copy of records of your dataset \"{dataset}\" was in a "
                               "file submitted to the monitor, and found by automated monitoring. The copy was "
                               "identified by keyed fingerprints of your records; the monitor holds no copy of the data.",
                         "fr": "Violation de la confidentialité : une copie d'enregistrements de votre jeu de données "
                               "« {dataset} » figurait dans un fichier soumis à la veille, et a été repérée par une veille "
                               "automatisée. La copie a été identifiée par des empreintes à clé de vos enregistrements ; "
                               "le service de veille n'en détient aucune copie."},
    "submitted": {"en": "a file submitted to the monitor", "fr": "un fichier soumis à la veille"},
    "canary": {"en": "{canaries} canary record(s) planted in your systems were in the copy: it comes from your "
                     "systems, not from another source of the same people.",
               "fr": "{canaries} enregistrement(s) témoin(s) placé(s) dans vos systèmes figurai(en)t dans la copie : "
                     "elle provient de vos systèmes, et non d'une autre source concernant les mêmes personnes."},
    "cause": {"en": "Cause and origin: [to complete: how the data left your systems, if known].",
              "fr": "Cause et origine : [à compléter : comment les données sont sorties de vos systèmes, si c'est connu]."},
    "s_people": {"en": "2. People and records concerned", "fr": "2. Personnes et enregistrements concernés"},
    "people": {"en": "Approximate number of people concerned: {records} (range {low} to {high}). "
                     "Approximate number of records concerned: {records} (range {low} to {high}).",
               "fr": "Nombre approximatif de personnes concernées : {records} (entre {low} et {high}). "
                     "Nombre approximatif d'enregistrements concernés : {records} (entre {low} et {high})."},
    "range": {"en": "The lower bound leaves out what chance alone could match in a dump of that size; the upper "
                    "bound adds records seen with weak evidence only. The list of the people concerned is available "
                    "to you alone, on your premises, with `leakwatch affected`.",
              "fr": "La borne basse retire ce que le hasard seul pourrait apparier dans un fichier de cette taille ; la "
                    "borne haute ajoute les enregistrements vus avec des indices faibles seulement. La liste des "
                    "personnes concernées n'est accessible qu'à vous, dans vos locaux, avec `leakwatch affected`."},
    "categories_people": {"en": "Categories of people: [to complete, e.g. patients] (dataset \"{dataset}\").",
                          "fr": "Catégories de personnes : [à compléter, par ex. patients] (jeu de données « {dataset} »)."},
    "s_data": {"en": "3. Categories of data", "fr": "3. Catégories de données"},
    "special": {"en": "Health data are a special category of personal data (GDPR art. 9): the risk to the people "
                      "concerned is likely to be high, and informing them (art. 34) is to be considered.",
                "fr": "Les données de santé sont une catégorie particulière de données (article 9 du RGPD) : le "
                      "risque pour les personnes concernées est vraisemblablement élevé, et leur information "
                      "(article 34) est à envisager."},
    "s_seen": {"en": "4. Where and when it was seen, and how it spread",
               "fr": "4. Où et quand la copie a été vue, et sa diffusion"},
    "seen": {"en": "First seen on {first_seen} on {first_source} ({first_where}); seen {count} time(s) on {nsources} "
                   "source(s) since.",
             "fr": "Vue pour la première fois le {first_seen} sur {first_source} ({first_where}) ; vue {count} fois sur "
                   "{nsources} source(s) depuis."},
    "posted": {"en": "The source gives its posting time as {posted}.",
               "fr": "La source indique une publication le {posted}."},
    "col_when": {"en": "Seen", "fr": "Vue le"}, "col_source": {"en": "Source", "fr": "Source"},
    "col_where": {"en": "Where", "fr": "Emplacement"}, "col_records": {"en": "Your records", "fr": "Vos enregistrements"},
    "s_time": {"en": "5. Time from first sighting to warning", "fr": "5. Délai entre la première observation et l'alerte"},
    "col_step": {"en": "Step", "fr": "Étape"}, "col_at": {"en": "Time (UTC)", "fr": "Heure (UTC)"},
    "t_posted": {"en": "posted on the source", "fr": "publication sur la source"},
    "t_first_seen": {"en": "first seen by the monitor", "fr": "première observation par la veille"},
    "t_matched": {"en": "matched to your dataset", "fr": "rapprochement avec votre jeu de données"},
    "t_confirmed": {"en": "confirmed by an analyst", "fr": "confirmation par un analyste"},
    "t_warned": {"en": "you were warned", "fr": "alerte remise"},
    "elapsed": {"en": "From first sighting to warning: {elapsed}.", "fr": "De la première observation à l'alerte : {elapsed}."},
    "not_warned": {"en": "no alert delivered yet", "fr": "aucune alerte remise à ce jour"},
    "s_measures": {"en": "6. Measures taken", "fr": "6. Mesures prises"},
    "m_monitor": {"en": "By the monitor: the copy was detected by automated monitoring and {decision}; you were "
                        "warned by {channels}; the evidence kept (counts, kinds of fields, row numbers) holds no "
                        "personal value.",
                  "fr": "Par le service de veille : la copie a été détectée automatiquement et {decision} ; vous avez "
                        "été averti par {channels} ; les éléments de preuve conservés (décomptes, types de champs, "
                        "numéros de lignes) ne contiennent aucune donnée personnelle."},
    "decision_confirmed": {"en": "confirmed by an analyst on {at}", "fr": "confirmée par un analyste le {at}"},
    "decision_open": {"en": "is awaiting an analyst's confirmation", "fr": "attend la confirmation d'un analyste"},
    "no_channel": {"en": "[no alert delivered yet]", "fr": "[aucune alerte remise à ce jour]"},
    "m_institution": {"en": "By you: [to complete: takedown requests to the sites, password resets, information "
                            "of the people concerned, complaint, measures against a repeat].",
                      "fr": "Par vous : [à compléter : demandes de retrait aux sites, réinitialisation de mots de passe, "
                            "information des personnes, dépôt de plainte, mesures contre la répétition]."},
    "s_contact": {"en": "7. Contact", "fr": "7. Contact"},
    "contact": {"en": "Data protection officer: [name, e-mail, phone]. Reference of the monitor's finding: {match}.",
                "fr": "Délégué à la protection des données : [nom, courriel, téléphone]. Référence du constat de la "
                      "veille : {match}."},
}

FIELDS = {
    "nir": {"en": "national health-insurance number (NIR)", "fr": "numéro d'inscription au répertoire (NIR)"},
    "name": {"en": "names", "fr": "noms et prénoms"},
    "date": {"en": "dates (birth dates)", "fr": "dates (dates de naissance)"},
    "postcode": {"en": "postal codes", "fr": "codes postaux"},
    "phone": {"en": "phone numbers", "fr": "numéros de téléphone"},
    "email": {"en": "e-mail addresses", "fr": "adresses électroniques"},
    "doctor": {"en": "names of doctors", "fr": "noms de médecins"},
    "blood_group": {"en": "blood groups (health data)", "fr": "groupes sanguins (données de santé)"},
    "health_note": {"en": "free-text health notes (health data)", "fr": "notes médicales en texte libre (données de santé)"},
    "text": {"en": "other free text", "fr": "autre texte libre"},
}
# Kinds of fields that are health data (GDPR art. 9 special categories).
SPECIAL = frozenset({"blood_group", "health_note"})
SPECIAL_LABEL = {"en": "special category (art. 9)", "fr": "catégorie particulière (art. 9)"}
