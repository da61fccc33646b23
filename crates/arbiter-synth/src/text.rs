//! What people write, per locale: ordinary logistics, and the abuse patterns rules must catch.

/// A locale of the demo markets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Locale {
    En,
    Fr,
    De,
    Es,
}

pub(crate) fn everyday_messages(locale: Locale) -> &'static [&'static str] {
    match locale {
        Locale::En => &[
            "Hi! I'll be there at 9 tomorrow.",
            "Can you bring a ladder?",
            "Running about 10 minutes late, sorry.",
            "The building code is 4B, third floor.",
            "Do I need to provide cleaning supplies?",
            "Thanks, see you then!",
            "Is parking available nearby?",
            "All done, thanks for having me.",
        ],
        Locale::Fr => &[
            "Bonjour, je serai là à 9h demain.",
            "Pouvez-vous apporter un escabeau ?",
            "J'ai dix minutes de retard, désolé.",
            "Le code de l'immeuble est 4B, troisième étage.",
            "Merci, à demain !",
            "Faut-il prévoir les produits ménagers ?",
        ],
        Locale::De => &[
            "Hallo, ich bin morgen um 9 Uhr da.",
            "Können Sie eine Leiter mitbringen?",
            "Ich verspäte mich um zehn Minuten, Entschuldigung.",
            "Bis morgen um 10 Uhr!",
            "Gibt es einen Parkplatz in der Nähe?",
            "Danke, alles erledigt.",
        ],
        Locale::Es => &[
            "Hola, estaré allí mañana a las 9.",
            "¿Tienes herramientas?",
            "Llego diez minutos tarde, perdona.",
            "El portal es el 4B, tercer piso.",
            "¡Gracias, hasta mañana!",
            "¿Hay aparcamiento cerca?",
        ],
    }
}

/// Messages that take the job or the payment off the platform, or share contact details,
/// plainly or disguised.
pub(crate) fn off_platform_messages(locale: Locale) -> &'static [&'static str] {
    match locale {
        Locale::En => &[
            "Pay me directly on Venmo and we skip the fee.",
            "Text me at +1 415 555 0199, easier than this app.",
            "My number is five five five one two three four, call me.",
            "Email me at john dot smith at gmail dot com for the next job.",
            "Cash is fine, just cancel the booking here and I'll give you a discount.",
            "Send it through Zelle or CashApp next time, no service fee.",
        ],
        Locale::Fr => &[
            "Paie-moi en liquide, c'est moins cher.",
            "Envoie-moi un message au 06 12 34 56 78.",
            "Annule sur l'appli et paie-moi par Lydia, on évite les frais.",
            "Mon mail : marie point dupont arobase gmail point com.",
        ],
        Locale::De => &[
            "Schreib mir auf WhatsApp: 0151 2345678.",
            "Zahl mir bar, ohne Gebühr.",
            "Überweis es lieber per PayPal Freunde, dann sparen wir die Provision.",
            "Meine Nummer: null eins fünf eins, zwei drei vier fünf.",
        ],
        Locale::Es => &[
            "Págame por Bizum y nos ahorramos la comisión.",
            "Escríbeme al 612 345 678.",
            "Mejor en efectivo, cancela la reserva en la app.",
            "Mi correo es pedro punto garcia arroba hotmail punto com.",
        ],
    }
}

pub(crate) fn review_text(locale: Locale, rating: u8) -> &'static str {
    let good = rating >= 4;
    match (locale, good) {
        (Locale::En, true) => "Great job, on time and very careful.",
        (Locale::En, false) => "Arrived late and left a mess.",
        (Locale::Fr, true) => "Travail soigné, très ponctuel.",
        (Locale::Fr, false) => "En retard et travail bâclé.",
        (Locale::De, true) => "Sehr gründlich und pünktlich.",
        (Locale::De, false) => "Zu spät und unordentlich.",
        (Locale::Es, true) => "Muy puntual y cuidadoso.",
        (Locale::Es, false) => "Llegó tarde y dejó todo sucio.",
    }
}

pub(crate) fn claim_description(locale: Locale, kind: &str) -> &'static str {
    match (locale, kind) {
        (Locale::En, "property_damage") => {
            "The tasker scratched the hardwood floor while moving the sofa."
        }
        (Locale::En, "theft") => "A watch went missing from the bedroom after the cleaning.",
        (Locale::En, "injury") => "I was hurt when the shelf fell during assembly.",
        (Locale::En, _) => "The work was not done as agreed and caused extra costs.",
        (Locale::Fr, "property_damage") => "Le parquet a été rayé pendant le déménagement.",
        (Locale::Fr, "theft") => "Une montre a disparu après le ménage.",
        (Locale::Fr, "injury") => "Je me suis blessé quand l'étagère est tombée.",
        (Locale::Fr, _) => "Le travail n'a pas été fait comme convenu.",
        (Locale::De, "property_damage") => "Beim Umzug wurde der Parkettboden zerkratzt.",
        (Locale::De, "theft") => "Nach der Reinigung fehlte eine Uhr.",
        (Locale::De, "injury") => "Ich wurde verletzt, als das Regal umfiel.",
        (Locale::De, _) => "Die Arbeit wurde nicht wie vereinbart erledigt.",
        (Locale::Es, "property_damage") => "Rayaron el suelo de madera durante la mudanza.",
        (Locale::Es, "theft") => "Desapareció un reloj después de la limpieza.",
        (Locale::Es, "injury") => "Me lesioné cuando se cayó la estantería.",
        (Locale::Es, _) => "El trabajo no se hizo según lo acordado.",
    }
}

pub(crate) fn report_text(locale: Locale, category: &str) -> &'static str {
    match (locale, category) {
        (Locale::En, "off_platform_payment") => "Asked me to pay outside the app.",
        (Locale::En, "harassment") => "Kept messaging me after the task, rude language.",
        (Locale::En, _) => "Did not feel safe during the visit.",
        (Locale::Fr, "off_platform_payment") => "M'a demandé de payer en dehors de l'appli.",
        (Locale::Fr, "harassment") => "Messages insistants après la prestation.",
        (Locale::Fr, _) => "Je ne me suis pas senti en sécurité.",
        (Locale::De, "off_platform_payment") => "Wollte Bezahlung außerhalb der App.",
        (Locale::De, "harassment") => "Hat mich nach dem Auftrag belästigt.",
        (Locale::De, _) => "Ich habe mich nicht sicher gefühlt.",
        (Locale::Es, "off_platform_payment") => "Me pidió pagar fuera de la app.",
        (Locale::Es, "harassment") => "Siguió escribiéndome después del trabajo.",
        (Locale::Es, _) => "No me sentí seguro durante la visita.",
    }
}
