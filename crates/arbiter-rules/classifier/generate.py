#!/usr/bin/env python3
"""Writes corpus.tsv, the labelled messages the classifier learns from and is measured on.

    python3 crates/arbiter-rules/classifier/generate.py

Deterministic (fixed seed): the same script writes the same file. Each language has hand-written
cores: requests to pay off the platform, ways of sharing contact details, and ordinary messages
with hard negatives (paying through the app, cash mentioned innocently, an address, a number
that is not a phone). Messages combine a core with greetings, fillers, typos and disguises.

The held-out split is made of paraphrases the training never sees: every fourth core of each
kind, and the hand-written messages of HELD_OUT, appear only in `test`.
"""

import random
import re
import unicodedata
from pathlib import Path

OPP = "off_platform_payment"
CON = "contact_sharing"

# ---- contact details, per language -----------------------------------------------------------

PHONES = {
    "en": ["+44 7700 900123", "07700 900456", "+1 415 555 0199", "(212) 555-0147", "415-555-0123",
           "+1 646 555 0110", "07911 123456", "020 7946 0018", "+1 (917) 555 0175", "0161 496 0000"],
    "fr": ["06 12 34 56 78", "07 98 76 54 32", "+33 6 11 22 33 44", "06.45.67.89.01", "0612345678",
           "+33 7 55 44 33 22", "06-22-33-44-55", "01 42 68 53 00"],
    "de": ["0151 2345678", "+49 170 1234567", "0176 98765432", "+49 (0)160 5556677", "030 12345678",
           "0172/3456789", "+49 157 11223344", "0160-9988776"],
    "es": ["612 345 678", "+34 699 12 34 56", "655 44 33 22", "+34 622 334 455", "91 123 45 67",
           "699-887-766", "634 112 233", "+34 711 22 33 44"],
    "it": ["333 1234567", "+39 347 765 4321", "328 987 6543", "+39 320 1112233", "06 6982 1234",
           "349-5566778"],
}
SPELLED = {
    "en": ["five five five one two three four", "oh seven seven zero zero nine double oh one two three",
           "four one five, five five five, zero one nine nine", "seven seven zero zero nine zero zero four five six"],
    "fr": ["zéro six douze trente-quatre cinquante-six", "zero six un deux trois quatre cinq six sept huit",
           "zéro sept neuf huit sept six cinq quatre"],
    "de": ["null eins fünf eins zwei drei vier fünf sechs", "null eins sieben sechs neun acht sieben sechs",
           "null eins sechs null fünf fünf fünf sechs"],
    "es": ["seis uno dos, tres cuatro cinco, seis siete ocho", "seis cinco cinco cuatro cuatro tres tres",
           "seis nueve nueve ocho ocho siete"],
    "it": ["tre tre tre uno due tre quattro cinque sei sette", "tre due otto nove otto sette sei"],
}
NAMES = ["john.smith", "marie.dupont", "k.mueller", "pedro.garcia", "luca.rossi", "sam_h", "anna92",
         "jules.b", "tom.baker", "lena.k", "carlos.m", "giulia.b"]
DOMAINS = ["gmail.com", "hotmail.com", "yahoo.fr", "gmx.de", "outlook.com", "icloud.com", "orange.fr",
           "web.de", "hotmail.es", "libero.it"]
AT = {"en": ["at", "(at)", "[at]"], "fr": ["arobase", "at"], "de": ["at", "(at)", "klammeraffe"],
      "es": ["arroba", "at"], "it": ["chiocciola", "at"]}
DOT = {"en": ["dot"], "fr": ["point"], "de": ["punkt"], "es": ["punto"], "it": ["punto"]}
HANDLES = ["@sam.fixes", "@marie_menage", "@handy_k", "@pedro.reformas", "@luca_casa", "@jules.move"]
MESSENGERS = ["WhatsApp", "whatsapp", "Telegram", "Signal", "Insta", "Snapchat", "WA", "Messenger"]
PAYAPPS = {
    "en": ["Venmo", "Zelle", "CashApp", "PayPal", "Revolut", "Cash App", "Apple Pay"],
    "fr": ["Lydia", "PayPal", "Paylib", "Revolut", "Wero"],
    "de": ["PayPal", "PayPal Freunde", "Revolut", "Wero"],
    "es": ["Bizum", "PayPal", "Revolut"],
    "it": ["Satispay", "PayPal", "PostePay", "Revolut"],
}
ADDRESSES = {
    "en": ["12 Baker Street, flat 3", "221 Elm Road, apartment 4B", "45 King's Road, London SW3",
           "1600 Main St, unit 12", "88 Queen Street, 2nd floor", "17 Oak Avenue, Brooklyn NY 11201"],
    "fr": ["12 rue de la Paix, 3e étage", "45 avenue Jean Jaurès, bâtiment B", "8 boulevard Voltaire, 75011 Paris",
           "3 place Bellecour, Lyon", "27 rue Nationale, code 4B"],
    "de": ["Hauptstraße 12, 3. OG", "Bahnhofstraße 45, 10115 Berlin", "Lindenallee 8, Hinterhaus",
           "Schillerstraße 27, 80336 München", "Am Markt 3, 2. Etage"],
    "es": ["Calle Mayor 12, 3º B", "Avenida de América 45, portal 2", "Plaza Mayor 8, 28012 Madrid",
           "Calle de Alcalá 27, 4º izquierda", "Carrer de Mallorca 201, Barcelona"],
    "it": ["Via Roma 12, scala B", "Corso Buenos Aires 45, 20124 Milano", "Via Garibaldi 8, terzo piano"],
}


def phone(r, lang):
    if r.random() < 0.15:
        return r.choice(SPELLED[lang])
    return r.choice(PHONES[lang])


def email(r, lang):
    name, domain = r.choice(NAMES), r.choice(DOMAINS)
    if r.random() < 0.35:
        at, dot = r.choice(AT[lang]), r.choice(DOT[lang])
        local = name.replace(".", f" {dot} ")
        host = domain.replace(".", f" {dot} ")
        return f"{local} {at} {host}"
    return f"{name}@{domain}"


def fill(r, lang, text):
    return (text.replace("{phone}", phone(r, lang))
            .replace("{email}", email(r, lang))
            .replace("{handle}", r.choice(HANDLES))
            .replace("{app}", r.choice(MESSENGERS))
            .replace("{pay}", r.choice(PAYAPPS[lang]))
            .replace("{addr}", r.choice(ADDRESSES[lang]))
            .replace("{n}", str(r.choice([20, 30, 40, 45, 50, 60, 75, 80, 90, 120, 150])))
            .replace("{h}", str(r.choice([8, 9, 10, 11, 14, 15, 16, 17, 18]))))


# ---- the cores ---------------------------------------------------------------------------------
# Each language: off-platform payment requests (OPP), contact sharing (CON), both (BOTH), and
# ordinary messages including hard negatives (NEG).

CORES = {
"en": {
"OPP": [
    "pay me directly and we skip the platform fee",
    "can you pay cash instead? no need to go through the app",
    "let's do it off the app next time, cheaper for both of us",
    "just send the money to my {pay}, the app takes too much",
    "I'd rather you pay me in cash on the day",
    "cancel the booking and I'll do it for less, pay me directly",
    "bank transfer is better, skip the platform and save the fees",
    "don't book through the site, just pay me directly",
    "we can settle offline, no need for the app",
    "if you pay me outside the app I'll give you 20% off",
    "send it via {pay} so there's no commission",
    "next time book me privately, no fees",
    "I can invoice you myself, it avoids the service charge",
    "pay half now by {pay} and the rest in cash",
    "the app charges too much, let's sort payment between us",
    "wire the money straight to my account, I'll send you my IBAN",
    "cash only please, don't pay in the app",
    "we don't need the middleman, just pay me",
    "book the minimum on the app and pay the rest to me in cash",
    "mark it as cancelled and I'll come anyway, you pay me directly",
    "I accept cash or {pay}, whatever avoids the fee",
    "if we arrange it ourselves it's cheaper",
    "I'll give you a discount if you pay outside the platform",
    "leave the cash under the mat and close the task as cancelled",
    "transfer me directly, the platform doesn't need to know",
    "skip the booking fee, pay me on {pay}",
    "let's keep the platform out of it and save money",
    "pay me privately from now on",
    "can we do the next jobs off the books?",
    "I prefer to be paid directly, the fees are crazy",
    "settle up with me by bank transfer, not through the app",
    "why pay the commission? send it to me directly",
],
"CON": [
    "text me at {phone}",
    "my number is {phone}, call me anytime",
    "email me at {email}",
    "add me on {app}: {phone}",
    "find me on {app}, {handle}",
    "here's my cell {phone}",
    "drop me a line at {email} for the details",
    "reach me on {app} it's easier, {phone}",
    "call me on {phone} when you arrive",
    "my insta is {handle}, DM me",
    "message me on {app}, same name",
    "you can contact me directly: {email}",
    "ring me {phone}",
    "my whatsapp: {phone}",
    "send me a text, {phone}",
    "write to me at {email} instead of here",
],
"BOTH": [
    "whatsapp me, pay directly, no fees",
    "call me {phone} we can settle offline",
    "text me at {phone} and we'll arrange payment in cash",
    "email me at {email}, I'll send my bank details and we skip the app",
    "message me on {app} {phone}, I do it cheaper without the platform",
    "add me on {app} and pay me via {pay}, no commission",
    "here's my number {phone}, book me directly next time and save the fee",
    "contact me at {email} and we'll sort the money outside the app",
],
"NEG": [
    "please pay through the app as usual",
    "I left the cash you forgot on the counter",
    "my phone number is on my profile, message me in the app",
    "the job is at {addr}",
    "hi, I'll be there at {h} tomorrow",
    "can you bring a ladder?",
    "running about 10 minutes late, sorry",
    "the building code is 4B, third floor",
    "do I need to provide cleaning supplies?",
    "thanks, see you then!",
    "is parking available nearby?",
    "all done, thanks for having me",
    "payment went through on the app, thanks",
    "I tipped you in the app, thanks for the great work",
    "the price on the app was {n} dollars, is that right?",
    "can I pay by card in the app?",
    "the service fee is shown at checkout",
    "the app says the booking is confirmed for {h}:00",
    "please message me here if anything changes",
    "I'll send the photos through the chat",
    "the parcel locker code is 4417",
    "my flat is number 12, ring the bell twice",
    "I need two hours for the assembly, around {n} minutes per wardrobe",
    "the sofa is about 200 cm wide",
    "the dog is friendly, don't worry",
    "could we move it to Saturday at {h}?",
    "I paid the invoice through the platform yesterday",
    "cash back on my card took a while but it's fine",
    "no worries, the keys are with the neighbour at number 14",
    "I'll call the building manager about the lift",
    "is the price per hour or for the whole job?",
    "the receipt is in the app under my bookings",
    "please don't forget the drill",
    "the apartment is on the 5th floor, no lift, sorry",
    "we'll need about 30 boxes",
    "the WiFi password is on the fridge",
    "I'll be home from {h} to 18",
    "great job last week, I'll book you again through the app",
    "you can text me here in the chat if you're late",
    "the total was {n} dollars including the fee, all good",
    "I cancelled by mistake, can you accept the new booking?",
    "I don't have cash at home, is the card on file ok?",
    "the platform support said the refund takes 5 days",
    "my old number changed, I updated it in my profile",
    "the gate code is 1234, then second door on the left",
    "I'll leave a review in the app tonight",
],
},
"fr": {
"OPP": [
    "paie-moi en liquide, c'est moins cher",
    "on évite les frais, tu me paies directement",
    "annule la réservation et je le fais pour moins cher",
    "tu peux me payer en espèces le jour même ?",
    "envoie l'argent sur mon {pay}, l'appli prend trop",
    "on passe en direct la prochaine fois, sans la plateforme",
    "un virement direct c'est mieux, pas besoin de l'appli",
    "ne réserve pas sur le site, paie-moi directement",
    "on peut régler ça entre nous, hors appli",
    "si tu me paies en dehors de l'application je te fais 20 % de remise",
    "règle-moi par {pay}, comme ça pas de commission",
    "je préfère être payé de la main à la main",
    "je te donne mon RIB et on oublie la plateforme",
    "la plateforme prend une commission énorme, payons en direct",
    "moitié par {pay}, le reste en cash",
    "réserve le minimum sur l'appli et le reste en liquide",
    "pas besoin de passer par le site, on s'arrange",
    "je fais un prix si on ne passe pas par l'appli",
    "laisse l'argent sous le paillasson et annule la mission",
    "paiement en espèces uniquement, pas sur l'appli",
    "on se passe de l'intermédiaire et tu me paies",
    "la prochaine fois contacte-moi en privé, sans frais",
    "fais-moi un virement sur mon compte perso",
    "pourquoi payer les frais ? paie-moi directement",
    "on règle au black, c'est plus simple",
    "je peux te facturer moi-même, ça évite les frais de service",
],
"CON": [
    "envoie-moi un message au {phone}",
    "mon numéro c'est le {phone}",
    "écris-moi à {email}",
    "ajoute-moi sur {app} : {phone}",
    "mon mail : {email}",
    "appelle-moi au {phone} en arrivant",
    "contacte-moi directement sur {app}",
    "mon insta c'est {handle}",
    "voici mon portable {phone}",
    "texte-moi au {phone}, c'est plus simple",
    "tu peux me joindre sur {email}",
    "je suis sur {app}, même nom",
],
"BOTH": [
    "écris-moi sur whatsapp, paie en direct, sans frais",
    "appelle-moi au {phone}, on règle ça en liquide",
    "mon mail {email}, je t'envoie mon RIB et on zappe l'appli",
    "ajoute-moi sur {app} et paie par {pay}, pas de commission",
    "voilà mon numéro {phone}, réserve-moi en direct la prochaine fois",
    "contacte-moi au {phone}, on s'arrange pour le paiement hors plateforme",
],
"NEG": [
    "merci de payer par l'appli comme d'habitude",
    "j'ai laissé sur le comptoir le liquide que tu avais oublié",
    "mon numéro est sur mon profil, écris-moi dans l'appli",
    "l'adresse de la mission est {addr}",
    "bonjour, je serai là à {h}h demain",
    "pouvez-vous apporter un escabeau ?",
    "j'ai dix minutes de retard, désolé",
    "le code de l'immeuble est 4B, troisième étage",
    "merci, à demain !",
    "faut-il prévoir les produits ménagers ?",
    "le paiement est passé sur l'appli, merci",
    "je t'ai laissé un pourboire dans l'application",
    "le prix affiché était de {n} euros, c'est bien ça ?",
    "je peux payer par carte dans l'appli ?",
    "les frais de service sont indiqués au paiement",
    "la réservation est confirmée pour {h}h",
    "écris-moi ici si quelque chose change",
    "le digicode est 4417",
    "sonnez deux fois, appartement 12",
    "il faut environ deux heures pour le montage",
    "le canapé fait 2 mètres de large",
    "le chien est gentil, pas d'inquiétude",
    "on peut décaler à samedi {h}h ?",
    "j'ai réglé la facture sur la plateforme hier",
    "les clés sont chez la voisine au numéro 14",
    "c'est un prix à l'heure ou pour tout le travail ?",
    "le reçu est dans l'appli, rubrique réservations",
    "n'oublie pas la perceuse",
    "cinquième étage sans ascenseur, désolé",
    "super travail, je te réserve à nouveau via l'appli",
    "je n'ai pas de liquide, la carte enregistrée ça va ?",
    "le support dit que le remboursement prend 5 jours",
    "j'ai changé de numéro, je l'ai mis à jour dans mon profil",
    "je laisse un avis ce soir sur l'application",
    "il faudra une trentaine de cartons",
    "je suis à la maison de {h}h à 18h",
],
},
"de": {
"OPP": [
    "zahl mir bar, ohne Gebühr",
    "überweis es lieber per {pay}, dann sparen wir die Provision",
    "storniere die Buchung und ich mach's billiger",
    "kannst du bar zahlen statt über die App?",
    "bezahl mich direkt, die Plattform brauchen wir nicht",
    "nächstes Mal machen wir das privat, ohne App",
    "lieber Überweisung direkt auf mein Konto, die App nimmt zu viel",
    "buch nicht über die Seite, zahl mir einfach direkt",
    "wir können das unter uns regeln, ohne Plattform",
    "wenn du außerhalb der App zahlst, gebe ich dir 20 % Rabatt",
    "schick das Geld per {pay}, dann fällt keine Gebühr an",
    "ich nehme nur Bargeld, nicht über die App",
    "ich schicke dir meine IBAN und wir lassen die Plattform weg",
    "die Provision ist zu hoch, zahl lieber direkt an mich",
    "die Hälfte per {pay}, den Rest bar",
    "buch nur eine Stunde in der App, den Rest bar auf die Hand",
    "wir brauchen keinen Vermittler, zahl mich einfach",
    "ohne App wird es günstiger für uns beide",
    "leg das Geld unter die Matte und storniere den Auftrag",
    "bar auf die Hand ist mir lieber",
    "ich kann selbst eine Rechnung schreiben, dann sparst du die Servicegebühr",
    "warum Gebühren zahlen? überweis direkt an mich",
    "lass uns das schwarz machen, ist einfacher",
    "beim nächsten Mal meldest du dich privat bei mir, ohne Gebühren",
],
"CON": [
    "schreib mir auf {app}: {phone}",
    "meine Nummer ist {phone}",
    "schreib mir eine Mail an {email}",
    "ruf mich an unter {phone}",
    "meine Handynummer: {phone}",
    "meld dich per {app}, gleicher Name",
    "du erreichst mich unter {email}",
    "mein Insta ist {handle}",
    "schick mir eine SMS an {phone}",
    "kontaktier mich direkt: {email}",
    "hier ist meine Nummer {phone}, ruf an wenn du da bist",
    "adde mich bei {app}",
],
"BOTH": [
    "schreib mir auf whatsapp, zahl direkt, keine Gebühren",
    "ruf mich an {phone}, wir regeln das bar",
    "meine Mail {email}, ich schicke dir meine IBAN und wir lassen die App weg",
    "meld dich bei {app} {phone} und zahl per {pay}, ohne Provision",
    "hier meine Nummer {phone}, buch mich nächstes Mal direkt",
],
"NEG": [
    "bitte wie immer über die App bezahlen",
    "das Bargeld, das du vergessen hast, liegt auf der Theke",
    "meine Nummer steht im Profil, schreib mir in der App",
    "der Auftrag ist in der {addr}",
    "hallo, ich bin morgen um {h} Uhr da",
    "können Sie eine Leiter mitbringen?",
    "ich verspäte mich um zehn Minuten, Entschuldigung",
    "bis morgen um 10 Uhr!",
    "gibt es einen Parkplatz in der Nähe?",
    "danke, alles erledigt",
    "die Zahlung ist über die App gelaufen, danke",
    "ich habe dir in der App Trinkgeld gegeben",
    "der Preis in der App war {n} Euro, stimmt das?",
    "kann ich in der App mit Karte zahlen?",
    "die Servicegebühr steht beim Bezahlen",
    "die Buchung ist für {h} Uhr bestätigt",
    "schreib mir hier, falls sich was ändert",
    "der Türcode ist 4417",
    "bitte zweimal klingeln, Wohnung 12",
    "der Aufbau dauert etwa zwei Stunden",
    "das Sofa ist zwei Meter breit",
    "der Hund ist lieb, keine Sorge",
    "können wir auf Samstag {h} Uhr verschieben?",
    "ich habe die Rechnung gestern über die Plattform bezahlt",
    "der Schlüssel ist beim Nachbarn in Nummer 14",
    "ist das ein Stundenpreis oder für alles?",
    "die Quittung ist in der App unter Buchungen",
    "vergiss die Bohrmaschine nicht",
    "fünfter Stock ohne Aufzug, sorry",
    "super Arbeit, ich buche dich wieder über die App",
    "ich habe kein Bargeld da, geht die hinterlegte Karte?",
    "der Support sagt, die Erstattung dauert 5 Tage",
    "ich habe eine neue Nummer und sie im Profil aktualisiert",
    "ich schreibe heute Abend eine Bewertung in der App",
    "wir brauchen etwa 30 Kartons",
    "ich bin von {h} bis 18 Uhr zu Hause",
],
},
"es": {
"OPP": [
    "págame por {pay} y nos ahorramos la comisión",
    "mejor en efectivo, cancela la reserva en la app",
    "págame directamente, sin pasar por la plataforma",
    "¿puedes pagar en efectivo en vez de por la app?",
    "la próxima vez lo hacemos por fuera, sin la app",
    "mejor una transferencia a mi cuenta, la app cobra mucho",
    "no reserves por la web, págame a mí directamente",
    "podemos arreglarlo entre nosotros, fuera de la app",
    "si me pagas fuera de la aplicación te hago un 20 % de descuento",
    "mándame el dinero por {pay}, así no hay comisión",
    "solo acepto efectivo, no por la app",
    "te paso mi IBAN y nos olvidamos de la plataforma",
    "la comisión es altísima, mejor págame en mano",
    "la mitad por {pay} y el resto en metálico",
    "reserva una hora en la app y el resto me lo das en efectivo",
    "no necesitamos intermediarios, págame tú",
    "sin la app sale más barato para los dos",
    "deja el dinero debajo del felpudo y cancela el servicio",
    "prefiero que me pagues en mano",
    "puedo hacerte la factura yo, así te ahorras la tarifa de servicio",
    "¿para qué pagar comisión? págame directo",
    "lo hacemos en negro, es más fácil",
    "la próxima vez contáctame en privado, sin gastos",
    "hazme un bizum y cancelamos la reserva",
],
"CON": [
    "escríbeme al {phone}",
    "mi número es {phone}",
    "mi correo es {email}",
    "agrégame en {app}: {phone}",
    "llámame al {phone} cuando llegues",
    "contáctame directamente en {app}",
    "mi insta es {handle}",
    "te dejo mi móvil {phone}",
    "mándame un mensaje al {phone}, es más fácil",
    "puedes escribirme a {email}",
    "búscame en {app}, mismo nombre",
    "mi whatsapp es {phone}",
],
"BOTH": [
    "escríbeme por whatsapp, págame directo, sin comisiones",
    "llámame al {phone} y lo arreglamos en efectivo",
    "mi correo {email}, te mando mi IBAN y pasamos de la app",
    "agrégame en {app} {phone} y págame por {pay}, sin comisión",
    "te dejo mi número {phone}, la próxima vez resérvame directo",
],
"NEG": [
    "por favor paga por la app como siempre",
    "dejé en la encimera el efectivo que olvidaste",
    "mi número está en mi perfil, escríbeme por la app",
    "el trabajo es en {addr}",
    "hola, estaré allí mañana a las {h}",
    "¿tienes herramientas?",
    "llego diez minutos tarde, perdona",
    "el portal es el 4B, tercer piso",
    "¡gracias, hasta mañana!",
    "¿hay aparcamiento cerca?",
    "el pago se hizo por la app, gracias",
    "te dejé propina en la aplicación",
    "el precio en la app era de {n} euros, ¿es correcto?",
    "¿puedo pagar con tarjeta en la app?",
    "la tarifa de servicio aparece al pagar",
    "la reserva está confirmada para las {h}",
    "escríbeme aquí si cambia algo",
    "el código del portal es 4417",
    "llama dos veces, piso 12",
    "el montaje lleva unas dos horas",
    "el sofá mide dos metros",
    "el perro es bueno, no te preocupes",
    "¿podemos pasarlo al sábado a las {h}?",
    "pagué la factura por la plataforma ayer",
    "las llaves las tiene el vecino del 14",
    "¿el precio es por hora o por todo el trabajo?",
    "el recibo está en la app, en mis reservas",
    "no olvides el taladro",
    "quinto piso sin ascensor, lo siento",
    "buen trabajo, te vuelvo a reservar por la app",
    "no tengo efectivo en casa, ¿vale la tarjeta guardada?",
    "soporte dice que el reembolso tarda 5 días",
    "cambié de número y lo actualicé en mi perfil",
    "esta noche dejo una reseña en la aplicación",
    "necesitamos unas 30 cajas",
    "estoy en casa de {h} a 18",
],
},
"it": {
"OPP": [
    "pagami in contanti, così risparmiamo",
    "pagami direttamente, senza passare dalla piattaforma",
    "annulla la prenotazione e lo faccio a meno",
    "mandami i soldi su {pay}, l'app prende troppo",
    "meglio un bonifico diretto, niente commissioni",
    "non prenotare sul sito, pagami direttamente",
    "possiamo metterci d'accordo tra noi, fuori dall'app",
    "se paghi fuori dall'app ti faccio lo sconto",
    "solo contanti, non tramite l'app",
    "ti mando l'IBAN e lasciamo perdere la piattaforma",
    "metà con {pay} e il resto in contanti",
    "la prossima volta contattami in privato, senza costi",
],
"CON": [
    "scrivimi al {phone}",
    "il mio numero è {phone}",
    "la mia email è {email}",
    "aggiungimi su {app}: {phone}",
    "chiamami al {phone} quando arrivi",
    "contattami direttamente su {app}",
    "il mio insta è {handle}",
    "scrivimi a {email}",
],
"BOTH": [
    "pagami in contanti, scrivimi al {phone}",
    "scrivimi su whatsapp, pagami direttamente, niente commissioni",
    "chiamami al {phone} e paghiamo fuori dall'app",
    "aggiungimi su {app} e pagami con {pay}, senza commissioni",
],
"NEG": [
    "per favore paga tramite l'app come sempre",
    "ho lasciato sul bancone i contanti che avevi dimenticato",
    "il mio numero è nel profilo, scrivimi nell'app",
    "il lavoro è in {addr}",
    "ciao, sarò lì domani alle {h}",
    "puoi portare una scala?",
    "arrivo con dieci minuti di ritardo, scusa",
    "il citofono è il 4B, terzo piano",
    "grazie, a domani!",
    "c'è parcheggio vicino?",
    "il pagamento è passato sull'app, grazie",
    "ti ho lasciato la mancia nell'app",
    "il prezzo nell'app era {n} euro, giusto?",
    "posso pagare con carta nell'app?",
    "la prenotazione è confermata per le {h}",
    "scrivimi qui se cambia qualcosa",
    "il codice del portone è 4417",
    "il montaggio richiede circa due ore",
    "ho pagato la fattura sulla piattaforma ieri",
    "le chiavi sono dal vicino al numero 14",
    "non ho contanti, va bene la carta salvata?",
    "stasera lascio una recensione nell'app",
],
},
}

# ---- decoration --------------------------------------------------------------------------------

PREFIX = {
    "en": ["", "", "", "hi! ", "hey, ", "hello, ", "ok so ", "listen, ", "btw ", "thanks! ", "sure, ",
           "Hi Sam, ", "good morning, ", "quick question: ", "honestly "],
    "fr": ["", "", "", "salut ! ", "bonjour, ", "coucou, ", "au fait, ", "ok, ", "merci ! ", "écoute, ",
           "bonsoir, ", "petite question : "],
    "de": ["", "", "", "hallo, ", "hi! ", "übrigens, ", "ok, ", "danke! ", "hör mal, ", "guten Morgen, ",
           "kurze Frage: "],
    "es": ["", "", "", "hola, ", "¡hola! ", "oye, ", "por cierto, ", "vale, ", "¡gracias! ", "buenas, ",
           "una pregunta: "],
    "it": ["", "", "", "ciao, ", "salve, ", "senti, ", "comunque ", "ok, ", "grazie! "],
}
SUFFIX = {
    "en": ["", "", "", " thanks", " :)", " cheers", ", let me know", " see you tomorrow", "!",
           " ok?", ", sound good?", " thx"],
    "fr": ["", "", "", " merci", " :)", ", dis-moi", " à demain", " !", " ok ?", " bises"],
    "de": ["", "", "", " danke", " :)", ", sag Bescheid", " bis morgen", "!", " ok?", " LG"],
    "es": ["", "", "", " gracias", " :)", ", me dices", " hasta mañana", "!", " ¿vale?", " saludos"],
    "it": ["", "", "", " grazie", " :)", ", fammi sapere", " a domani", "!", " ok?"],
}

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$"}
KEYWORDS = ["whatsapp", "venmo", "zelle", "cashapp", "paypal", "cash", "telegram", "bizum", "lydia",
            "directly", "direct", "directement", "direkt", "directamente", "direttamente", "efectivo",
            "liquide", "espèces", "bar", "contanti", "signal", "revolut", "satispay", "insta", "iban",
            "commission", "fees", "fee", "gebühr", "comisión", "frais", "provision", "commissioni"]


def typo(r, text):
    words = text.split(" ")
    i = r.randrange(len(words))
    w = words[i]
    if len(w) > 3 and w.isalpha():
        k = r.randrange(len(w) - 1)
        choice = r.random()
        if choice < 0.4:
            w = w[:k] + w[k + 1] + w[k] + w[k + 2:]  # swap
        elif choice < 0.7:
            w = w[:k] + w[k + 1:]  # drop
        else:
            w = w[:k] + w[k] + w[k:]  # double
    words[i] = w
    return " ".join(words)


def strip_accents(text):
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def disguise(r, text):
    """Spaces, dots or leetspeak in one keyword."""
    lower = text.lower()
    found = [k for k in KEYWORDS if re.search(r"\b" + re.escape(k) + r"\b", lower)]
    if not found:
        return text
    k = r.choice(found)
    m = re.search(r"\b" + re.escape(k) + r"\b", lower)
    original = text[m.start():m.end()]
    style = r.random()
    if style < 0.35:
        new = " ".join(original)
    elif style < 0.5:
        new = ".".join(original)
    elif style < 0.6:
        new = "-".join(original)
    else:
        new = "".join(LEET.get(c, c) if r.random() < 0.6 and i > 0 else c for i, c in enumerate(original))
    return text[:m.start()] + new + text[m.end():]


def decorate(r, lang, core, positive):
    text = fill(r, lang, core)
    text = r.choice(PREFIX[lang]) + text + r.choice(SUFFIX[lang])
    roll = r.random()
    if roll < 0.2:
        text = typo(r, text)
    if positive and r.random() < 0.25:
        text = disguise(r, text)
    roll = r.random()
    if roll < 0.15:
        text = text.upper()
    elif roll < 0.3:
        text = strip_accents(text)
    elif roll < 0.6:
        text = text[:1].upper() + text[1:]
    return re.sub(r"\s+", " ", text).strip()



# ---- combinations: a request, a way to pay, a reason to skip the platform ------------------------
# They teach vocabulary; the held-out cores above stay whole sentences never seen in training.

COMPOSE = {
"en": {
    "ask": ["pay me {ch}", "can you pay {ch}?", "I'd prefer {ch}", "send the money {ch}",
            "let's do the payment {ch}", "I only take payment {ch}", "better if you pay {ch}",
            "is it ok to pay {ch}?", "you can settle {ch}", "just pay {ch}", "next time pay me {ch}",
            "I'll take it {ch}"],
    "ch": ["in cash", "cash", "by bank transfer", "on {pay}", "via {pay}", "directly", "privately",
           "straight to my account", "outside the app", "off the platform", "by wire", "in hand",
           "through {pay}", "with {pay}", "to me not the app"],
    "why": ["skip the app", "and mark the task cancelled", "book one hour on the app and the rest to me", "I'll invoice you myself", "only cash, not the app", "and close the job in the app", "", "", "and we skip the fee", "no need for the app", "so the app doesn't take its cut",
            "to avoid the commission", "cheaper without the platform", "and cancel the booking",
            "don't go through the site", "the platform doesn't need to know", "no service fee",
            "and I'll knock off 20%", "and keep it between us", "saves us both money"],
    "neg": ["I paid {via}", "payment done {via}", "please pay {via}", "the fee shows {via}",
            "I'll tip you {via}", "the invoice is {via}", "can I pay {via}?", "refund requested {via}",
            "the price {via} looks right", "I'll book again {via}", "I left a review {via}",
            "all settled {via}, thanks"],
    "via": ["through the app", "in the app", "on the platform", "via the site", "in the booking",
            "with my saved card", "on the website", "through the platform as usual"],
    "innocent": ["I don't have cash on me, the card in the app is fine", "the cash register is in the hall",
                 "there's cash in the envelope for the building fund, please don't touch it",
                 "go directly to the third floor", "direct sunlight ruins the paint",
                 "I'll transfer the furniture to the garage", "the bank is next to the bakery",
                 "the fee for parking is 5 dollars, I'll reimburse it in the app",
                 "my phone died, I'll reply here later", "I'll message you in the app when I'm home",
                 "the app's chat is fine for me", "can you send the photos in the chat?",
                 "my number is in the booking details if the driver needs it",
                 "I'll call the building manager", "the client said to ring the bell",
                 "the delivery number is 4417-22", "order number 558812, the parts arrive Monday"],
},
"fr": {
    "ask": ["paie-moi {ch}", "tu peux payer {ch} ?", "je préfère {ch}", "envoie l'argent {ch}",
            "on fait le paiement {ch}", "je prends seulement {ch}", "mieux vaut payer {ch}",
            "ça te va de régler {ch} ?", "règle-moi {ch}", "la prochaine fois paie {ch}"],
    "ch": ["en liquide", "en espèces", "par virement", "sur {pay}", "via {pay}", "directement",
           "en direct", "sur mon compte", "hors de l'appli", "en dehors de la plateforme", "en cash",
           "de la main à la main", "par {pay}", "avec {pay}"],
    "why": ["on zappe l'appli", "et marque la mission annulée", "réserve une heure sur l'appli et le reste pour moi", "je te fais la facture moi-même", "que du liquide, pas l'appli", "le reste en espèces", "", "", "et on évite les frais", "pas besoin de l'appli", "comme ça l'appli ne prend rien",
            "pour éviter la commission", "moins cher sans la plateforme", "et annule la réservation",
            "ne passe pas par le site", "la plateforme n'a pas besoin de savoir", "sans frais de service",
            "et je te fais 20 % de moins", "entre nous", "on y gagne tous les deux"],
    "neg": ["j'ai payé {via}", "paiement fait {via}", "merci de payer {via}", "les frais sont indiqués {via}",
            "je te laisse un pourboire {via}", "la facture est {via}", "je peux payer {via} ?",
            "remboursement demandé {via}", "le prix {via} me va", "je te réserve encore {via}",
            "tout est réglé {via}, merci"],
    "via": ["par l'appli", "dans l'appli", "sur la plateforme", "via le site", "dans la réservation",
            "avec ma carte enregistrée", "sur le site", "par la plateforme comme d'habitude"],
    "innocent": ["je n'ai pas de liquide sur moi, la carte de l'appli ça va", "la caisse est dans l'entrée",
                 "il y a de l'argent dans l'enveloppe pour le syndic, n'y touche pas",
                 "monte directement au troisième", "le soleil direct abîme la peinture",
                 "la banque est à côté de la boulangerie", "mon téléphone est mort, je réponds ici plus tard",
                 "je t'écris dans l'appli en rentrant", "le chat de l'appli me va très bien",
                 "envoie les photos dans le chat", "mon numéro est dans la réservation si le livreur en a besoin",
                 "numéro de commande 558812, les pièces arrivent lundi"],
},
"de": {
    "ask": ["zahl mir {ch}", "kannst du {ch} zahlen?", "mir ist {ch} lieber", "schick das Geld {ch}",
            "machen wir die Zahlung {ch}", "ich nehme nur {ch}", "besser du zahlst {ch}",
            "ist es ok {ch} zu zahlen?", "bezahl mich {ch}", "nächstes Mal zahlst du {ch}"],
    "ch": ["bar", "in bar", "per Überweisung", "über {pay}", "per {pay}", "direkt", "privat",
           "auf mein Konto", "außerhalb der App", "ohne die Plattform", "bar auf die Hand", "mit {pay}"],
    "why": ["vergiss die App", "und markier den Auftrag als storniert", "buch eine Stunde in der App und den Rest an mich", "ich schreib dir selbst die Rechnung", "nur bar, nicht die App", "den Rest in bar", "", "", "und wir sparen die Gebühr", "ohne App", "dann nimmt die App nichts",
            "um die Provision zu sparen", "ohne Plattform billiger", "und storniere die Buchung",
            "nicht über die Seite", "die Plattform muss das nicht wissen", "keine Servicegebühr",
            "und ich gebe dir 20 % Rabatt", "unter uns", "spart uns beiden Geld"],
    "neg": ["ich habe {via} bezahlt", "Zahlung erledigt {via}", "bitte {via} bezahlen", "die Gebühr steht {via}",
            "ich gebe dir Trinkgeld {via}", "die Rechnung ist {via}", "kann ich {via} zahlen?",
            "Erstattung beantragt {via}", "der Preis {via} passt", "ich buche dich wieder {via}",
            "alles erledigt {via}, danke"],
    "via": ["über die App", "in der App", "auf der Plattform", "über die Seite", "in der Buchung",
            "mit meiner hinterlegten Karte", "auf der Webseite", "wie immer über die Plattform"],
    "innocent": ["ich habe kein Bargeld dabei, die Karte in der App passt", "die Kasse ist im Flur",
                 "im Umschlag ist Geld für die Hausverwaltung, bitte nicht anfassen",
                 "geh direkt in den dritten Stock", "direkte Sonne ruiniert die Farbe",
                 "die Bank ist neben der Bäckerei", "mein Handy ist leer, ich antworte später hier",
                 "ich schreibe dir in der App, wenn ich zu Hause bin", "der Chat in der App reicht mir",
                 "schick die Fotos im Chat", "meine Nummer steht in der Buchung, falls der Fahrer sie braucht",
                 "Bestellnummer 558812, die Teile kommen Montag"],
},
"es": {
    "ask": ["págame {ch}", "¿puedes pagar {ch}?", "prefiero {ch}", "mándame el dinero {ch}",
            "hacemos el pago {ch}", "solo acepto {ch}", "mejor paga {ch}", "¿te va bien pagar {ch}?",
            "liquídamelo {ch}", "la próxima vez págame {ch}"],
    "ch": ["en efectivo", "en metálico", "por transferencia", "por {pay}", "con {pay}", "directamente",
           "en privado", "a mi cuenta", "fuera de la app", "fuera de la plataforma", "en mano", "en cash"],
    "why": ["pasamos de la app", "y marca el servicio como cancelado", "reserva una hora en la app y el resto a mí", "te hago yo la factura", "solo efectivo, no la app", "el resto en metálico", "", "", "y nos ahorramos la comisión", "sin la app", "así la app no se lleva nada",
            "para evitar la comisión", "más barato sin la plataforma", "y cancela la reserva",
            "no pases por la web", "la plataforma no tiene por qué saberlo", "sin tarifa de servicio",
            "y te hago un 20 % menos", "entre nosotros", "ahorramos los dos"],
    "neg": ["pagué {via}", "pago hecho {via}", "por favor paga {via}", "la tarifa aparece {via}",
            "te dejo propina {via}", "la factura está {via}", "¿puedo pagar {via}?",
            "reembolso pedido {via}", "el precio {via} está bien", "te reservo otra vez {via}",
            "todo pagado {via}, gracias"],
    "via": ["por la app", "en la app", "en la plataforma", "por la web", "en la reserva",
            "con mi tarjeta guardada", "en la página", "por la plataforma como siempre"],
    "innocent": ["no llevo efectivo, la tarjeta de la app me sirve", "la caja está en la entrada",
                 "en el sobre hay dinero de la comunidad, no lo toques", "sube directamente al tercero",
                 "el sol directo estropea la pintura", "el banco está al lado de la panadería",
                 "se me murió el móvil, contesto aquí luego", "te escribo por la app cuando llegue a casa",
                 "el chat de la app me va bien", "manda las fotos por el chat",
                 "mi número está en la reserva por si lo necesita el repartidor",
                 "número de pedido 558812, las piezas llegan el lunes"],
},
"it": {
    "ask": ["pagami {ch}", "puoi pagare {ch}?", "preferisco {ch}", "mandami i soldi {ch}",
            "facciamo il pagamento {ch}", "accetto solo {ch}"],
    "ch": ["in contanti", "con bonifico", "su {pay}", "con {pay}", "direttamente", "in privato",
           "sul mio conto", "fuori dall'app", "fuori dalla piattaforma", "in nero"],
    "why": ["", "", "e risparmiamo la commissione", "senza app", "così l'app non prende niente",
            "per evitare le commissioni", "e annulla la prenotazione", "tra di noi"],
    "neg": ["ho pagato {via}", "pagamento fatto {via}", "per favore paga {via}", "ti lascio la mancia {via}",
            "posso pagare {via}?", "tutto saldato {via}, grazie"],
    "via": ["tramite l'app", "nell'app", "sulla piattaforma", "sul sito", "con la carta salvata"],
    "innocent": ["non ho contanti, va bene la carta nell'app", "sali direttamente al terzo piano",
                 "il mio telefono è scarico, rispondo qui dopo", "ti scrivo nell'app quando torno"],
},
}


def composed(r, lang, n_pos, n_neg):
    c = COMPOSE[lang]
    rows = []
    for _ in range(n_pos):
        text = r.choice(c["ask"]).replace("{ch}", r.choice(c["ch"]))
        why = r.choice(c["why"])
        if why:
            text = f"{text}, {why}" if r.random() < 0.7 else f"{why}, {text}"
        rows.append((decorate(r, lang, text, True), [OPP]))
    for _ in range(n_neg):
        if r.random() < 0.6:
            text = r.choice(c["neg"]).replace("{via}", r.choice(c["via"]))
        else:
            text = r.choice(c["innocent"])
        rows.append((decorate(r, lang, text, False), []))
    return rows



CONTACT = {
    "en": (["add me on {app}", "I'm on {app}", "find me on {app}", "hit me up on {app}", "my {app} is {phone}",
            "{app}: {phone}", "my number: {phone}", "mail: {email}", "reach me at {email}", "text {phone}",
            "call {phone}", "ring me at {phone}", "write to {email}", "dm me on {app} {handle}",
            "my cell is {phone}", "contact me on {phone}", "ping me on {app}", "I'm {handle} on {app}"],
           ["my phone is on my profile", "you can reach me in the app chat", "send me a message here",
            "I'll call you through the app", "the app will notify me", "my profile has my details",
            "cash back took a while on my card", "I got cashback on the booking", "the contact form is in the app",
            "support replied by email through the app", "my phone battery is low, I'll answer in the chat"]),
    "fr": (["ajoute-moi sur {app}", "je suis sur {app}", "trouve-moi sur {app}", "mon {app} c'est {phone}",
            "{app} : {phone}", "mon numéro : {phone}", "mail : {email}", "joins-moi à {email}",
            "texte au {phone}", "appelle le {phone}", "écris à {email}", "mp sur {app} {handle}",
            "mon portable est le {phone}", "contacte-moi au {phone}", "rejoins-moi sur {app}"],
           ["mon numéro est sur mon profil", "tu peux me joindre dans le chat de l'appli",
            "envoie-moi un message ici", "je t'appelle via l'appli", "l'appli me préviendra",
            "j'ai eu du cashback sur la réservation", "le support m'a répondu par l'appli"]),
    "de": (["adde mich bei {app}", "ich bin bei {app}", "such mich auf {app}", "mein {app} ist {phone}",
            "{app}: {phone}", "meine Nummer: {phone}", "Mail: {email}", "erreichbar unter {email}",
            "SMS an {phone}", "ruf {phone} an", "schreib an {email}", "schreib mir bei {app} {handle}",
            "mein Handy ist {phone}", "kontaktier mich unter {phone}", "folg mir auf {app}"],
           ["meine Nummer steht im Profil", "du erreichst mich im Chat der App", "schick mir hier eine Nachricht",
            "ich rufe dich über die App an", "die App benachrichtigt mich", "ich hab Cashback auf die Buchung bekommen",
            "der Support hat über die App geantwortet"]),
    "es": (["agrégame en {app}", "estoy en {app}", "búscame en {app}", "mi {app} es {phone}",
            "{app}: {phone}", "mi número: {phone}", "correo: {email}", "escríbeme a {email}",
            "mensaje al {phone}", "llama al {phone}", "escribe a {email}", "md por {app} {handle}",
            "mi móvil es el {phone}", "contáctame al {phone}", "sígueme en {app}"],
           ["mi número está en el perfil", "puedes escribirme en el chat de la app",
            "mándame un mensaje aquí", "te llamo por la app", "la app me avisa",
            "me dieron cashback en la reserva", "soporte me respondió por la app"]),
    "it": (["aggiungimi su {app}", "sono su {app}", "cercami su {app}", "il mio {app} è {phone}",
            "{app}: {phone}", "numero: {phone}", "mail: {email}", "chiama il {phone}"],
           ["il mio numero è nel profilo", "scrivimi nella chat dell'app", "ti chiamo tramite l'app"]),
}


def contacts(r, lang, n_pos, n_neg):
    pos, neg = CONTACT[lang]
    c = COMPOSE[lang]
    rows = [(decorate(r, lang, r.choice(pos), True), [CON]) for _ in range(n_pos)]
    # Both at once: a contact detail and a payment request, in either order.
    for _ in range(n_pos // 2):
        ask = r.choice(c["ask"]).replace("{ch}", r.choice(c["ch"]))
        why = r.choice(c["why"])
        parts = [r.choice(pos), f"{ask} {why}".strip()]
        r.shuffle(parts)
        rows.append((decorate(r, lang, ", ".join(parts), True), [OPP, CON]))
    rows += [(decorate(r, lang, r.choice(neg), False), []) for _ in range(n_neg)]
    return rows


# Hand-written messages kept out of training: the examples and other rewordings.
HELD_OUT = [
    ("whatsapp me, pay directly, no fees", [OPP, CON], "en"),
    ("call me +44 7700 900123 we can settle offline", [OPP, CON], "en"),
    ("bank transfer is fine, let's skip the platform", [OPP], "en"),
    ("don't book through the site, just pay me directly", [OPP], "en"),
    ("pagami in contanti, scrivimi al 333 1234567", [OPP, CON], "it"),
    ("p4y m3 d1rectly, n0 f33s", [OPP], "en"),
    ("v3nmo works better for me than this app", [OPP], "en"),
    ("w h a t s a p p me on seven seven zero zero nine zero zero one two three", [CON], "en"),
    ("je préfère du cash, on laisse tomber l'appli", [OPP], "fr"),
    ("Bar zahlen und die App weglassen?", [OPP], "de"),
    ("págame en mano y no pasamos por la app", [OPP], "es"),
    ("please pay through the app as usual", [], "en"),
    ("I left the cash you forgot on the counter", [], "en"),
    ("my phone number is on my profile, message me in the app", [], "en"),
    ("The job is at 14 Rue de Rivoli, 75004 Paris, 2nd floor", [], "fr"),
]


def main():
    r = random.Random(20261201)
    rows = []
    for lang, kinds in CORES.items():
        for kind, cores in kinds.items():
            labels = {"OPP": [OPP], "CON": [CON], "BOTH": [OPP, CON], "NEG": []}[kind]
            # Negatives are more numerous in life; generate more of them.
            per_core = {"OPP": 14, "CON": 14, "BOTH": 14, "NEG": 18}[kind]
            if lang == "it":
                per_core = per_core * 2 // 3
            for i, core in enumerate(cores):
                split = "test" if i % 4 == 3 else "train"
                seen = set()
                for _ in range(per_core * 3):
                    if len(seen) >= per_core:
                        break
                    text = decorate(r, lang, core, bool(labels))
                    if text in seen:
                        continue
                    seen.add(text)
                    rows.append((text, labels, lang, split))
        sizes = {"en": (500, 600), "fr": (400, 500), "de": (400, 500), "es": (400, 500), "it": (150, 200)}
        seen = set()
        for text, labels in composed(r, lang, *sizes[lang]) + contacts(r, lang, sizes[lang][0] // 2, sizes[lang][1] // 3):
            if text not in seen:
                seen.add(text)
                rows.append((text, labels, lang, "train"))
    for text, labels, lang in HELD_OUT:
        rows.append((text, labels, lang, "test"))
    # No message may be in both splits.
    train_texts = {t for t, _, _, s in rows if s == "train"}
    rows = [row for row in rows if row[3] == "train" or row[0] not in train_texts]
    out = ["# Labelled chat messages for the classifier: text, labels (or -), language, split.",
           "# Written by generate.py; edit the script, not this file."]
    for text, labels, lang, split in rows:
        assert "\t" not in text and "\n" not in text
        out.append(f"{text}\t{','.join(labels) or '-'}\t{lang}\t{split}")
    Path(__file__).with_name("corpus.tsv").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
