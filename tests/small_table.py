"""A small registered table of three patients, shared by the CLI tests and the hostile-input tests."""

from leakwatch.matchers.normalize import nir_key


def nir(body):
    return body + f"{nir_key(body):02d}"


TABLE = (
    "nir,nom,prenom,date_naissance,code_postal,ville,telephone,email\n"
    f"{nir('1611275123456')},Dupont,Jean-Pierre,1961-12-05,75012,Paris,0610012046,jp.dupont@mail.fr\n"
    f"{nir('2700569001002')},Martin,Hélène,1970-05-17,69003,Lyon,0472001122,helene.m@ex.fr\n"
    f"{nir('1850213055033')},N'Diaye,Moussa,1985-02-02,13005,Marseille,0699887766,moussa@ex.org\n"
)
# Two of them, leaked: another layout, other spellings.
LEAK = "name;born;tel\nJEAN-PIERRE DUPONT;5 décembre 1961;+33 6 10 01 20 46\nHelene MARTIN;17/05/1970;04 72 00 11 22\n"
