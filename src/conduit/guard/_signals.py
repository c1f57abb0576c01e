"""The vocabulary of the injection screen: normalisation, signal grammars, gates.

Kept apart from the scoring (``conduit.guard.injection``) so the two can be
read and reviewed separately: this module says *what* counts as evidence,
that one says *how much* and *where*. Every grammar works on folded text
(NFKC, accents stripped, lower case) and is written as concepts with their
synonyms in English and Spanish (plus the override verbs of a few more
languages), not as copies of known attack strings.
"""

from __future__ import annotations

import re
import unicodedata

# Injected instructions are local: their signals sit within a few sentences of each other.
_WINDOW = 1200

# ---------------------------------------------------------------- normalisation


def _fold(text: str) -> str:
    """NFKC (fullwidth and compatibility forms), then drop accents, lower case.

    Length-preserving for almost all text, so match offsets stay close to
    the original; offsets are reported against this folded text.
    """
    text = text.replace("\u02c6", " ")  # undo spotlighting datamarks
    if text.isascii():  # the common case: nothing to normalise
        return text.lower()
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text))
    return _COMBINING.sub("", decomposed).lower()


# combining marks (accents) left over after NFD; a C-speed regex instead of a per-character loop
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _words(alternatives: str) -> str:
    return r"(?:" + alternatives + r")"


_GAP = r"(?:[\s,;:'\"()\-]+[\w'\-]+){0,%d}?[\s,;:'\"()\-]+"  # up to N intervening words

# --- override: a verb of disregard governing an instruction noun
_OVERRIDE_VERB = _words(
    r"ignore|ignoring|disregard|forget|override|overrule|bypass|skip|abandon|discard|drop|neglect|"
    r"stop following|do not follow|don't follow|no longer follow|pay no attention to|"
    r"set aside|put aside|lay aside|deja de lado|dejes de lado|deje de lado|"
    r"ignora|ignore|ignoren|ignorar|ignores|olvida|olvide|olviden|olvidar|olvides|omite|omita|omitan|omitir|"
    r"descarta|descarte|descartar|haz caso omiso(?: de| a)?|no sigas|no obedezcas|deja de seguir|pasa por alto|"
    r"ignorez|oubliez|oublie|oublies|ignoriere|ignoriert|vergiss|vergessen sie|esqueca|esqueça|esquece|ignori|dimentica"
)
_INSTRUCTION_NOUN = _words(
    r"instructions?|rules?|guidelines?|guidance|guardrails?|directions?|directives?|prompts?|system prompt|"
    r"restrictions?|constraints?|policies|policy|programming|orders|commands|context|safety|filters?|"
    r"instrucciones|instruccion|reglas?|indicaciones|directrices|normas|restricciones|ordenes|prompts?|"
    r"configuracion|programacion|directivas|limites|consignas|anweisungen|anweisung|regeln|consignes|regles|istruzioni|"
    r"instrucoes|regras|diretrizes|pautas|lineamientos|politicas|norma|regla|directriz|pauta|indicacion"
)
_OVERRIDE = re.compile(r"\b" + _OVERRIDE_VERB + r"\b" + (_GAP % 5) + _INSTRUCTION_NOUN + r"\b")
_OVERRIDE_SHORT = re.compile(
    r"\b" + _OVERRIDE_VERB + r"\b[\s,]+(?:(?:all|everything|anything|the|what|whatever)\s+)?(?:you\s+)?"
    r"(?:(?:said|written|stated|told you|was said|were told|you were told|you've been told)\s+)?"
    r"(?:above|before this|before|previously|earlier|so far|until now|up to now)\b"
    r"|\b" + _OVERRIDE_VERB + r"\b[\s,]+(?:todo\s+)?lo (?:anterior|dicho|previo|de antes|que te dijeron)"
    r"|\b" + _OVERRIDE_VERB + r"\b[\s,]+(?:tudo\s+)?o que (?:foi dito|te disseram) (?:antes|anteriormente)"
    r"|\b" + _OVERRIDE_VERB + r"\b[\s,]+(?:tout\s+)?ce qui (?:precede|a ete dit)"
)
_VOID_DECLARATION = re.compile(
    r"\b(?:previous|prior|above|earlier|original|system|old|initial|existing|developer'?s?)\s+(?:instructions|guidelines|rules|prompts?|"
    r"directives|policies|restrictions)\b[^.\n]{0,20}?\b(?:are|is|have been|were) (?:now )?(?:void|null|cancell?ed|revoked|obsolete|"
    r"no longer (?:valid|in effect|active|apply|applicable)|invalid|overridden|suspended|disabled|lifted|deprecated|outdated|"
    r"superseded|expired|replaced)"
    r"|\b(?:your |the |all |safety |content )?(?:guardrails|safety (?:rules|filters|guidelines|settings)|content (?:policy|policies|filters?)|"
    r"restrictions|filters|safeguards|limitations)\s+(?:have been|has been|are|were|is) (?:now |temporarily |officially )?"
    r"(?:lifted|removed|disabled|turned off|switched off|suspended|waived|deactivated|relaxed)"
    r"|\b(?:system message|system prompt|instructions|rules|guidelines|policies|restrictions)\b[^.\n]{0,30}\bas (?:a |mere )?"
    r"(?:suggestions?|optional|advisory|recommendations?)|\b(?:you are|you're) free to ignore\b"
    r"|\b(?:everything|all|the text|anything) (?:before|above) (?:this|here)(?: line| point| message)? (?:was|is|were) "
    r"(?:a test|fake|not real|irrelevant|a joke|just a test|noise)"
    r"|\b(?:safety |system |your )?(?:rules|instructions|guidelines|restrictions|filters|policies) (?:were|are|had been) never "
    r"(?:written|given|set|there|defined|in place)"
    r"|\b(?:instrucciones|reglas|normas|directrices|restricciones) (?:anteriores|previas|del sistema|originales|iniciales) "
    r"(?:ya no (?:cuentan|valen|aplican|son validas)|"
    r"quedan (?:anuladas|sin efecto|suspendidas)|estan (?:anuladas|suspendidas|desactivadas))"
)
_IGNORE_USER = re.compile(
    r"\b" + _OVERRIDE_VERB + r"\b[\s,]+(?:the |your |this )?(?:user'?s?|customer'?s?|human'?s?) (?:request|question|query|task|instructions?|message)"
    r"|\b" + _OVERRIDE_VERB + r"\b[\s,]+(?:la|el|las|los) (?:peticion|solicitud|pregunta|tarea|consulta|mensaje|instrucciones?) "
    r"del (?:usuario|cliente)"
    r"|\bstop (?:what you(?:'re| are) doing|your current task)|\babandon (?:your|the) (?:current )?task"
    r"|\b(?:overrides?|supersedes?|replaces?|cancels?) (?:everything|all (?:previous|prior|other|earlier) (?:instructions|rules|orders)|"
    r"all of the above|anything (?:else|above|before))"
    r"|\b" + _OVERRIDE_VERB + r"\b[\s,]+(?:the |your |this |that )?(?:\w+ )?(?:request|question|query|task)\b[^.\n]{0,40}\binstead\b"
)
_DEFENSIVE_TAIL = re.compile(
    r"\s{0,4}(?:found|in|inside|contained|within|from|embedded|that (?:appear|are|come)|which (?:appear|are)|"
    r"dentro|contenidas|incluidas|que aparezcan|que vengan|en (?:el|la|los|las))\b"
)
_PRIOR = re.compile(
    r"\b(?:previous|prior|above|earlier|preceding|all|any|your|original|initial|system|existing|"
    r"you were (?:given|configured|told|provided)|que te (?:dieron|configuraron|pusieron)|"
    r"anteriores|previas|previos|previa|previo|anterior|cualquier|todas|todos|tus|sus|iniciales|originales|del sistema|de arriba|"
    r"vorherigen|precedentes|precedenti)\b"
)

# --- role hijack
_ROLE_CHANGE = re.compile(
    r"\b(?:(?:you are now|you're now)(?! (?:\w+ed|logged|signed|able|ready|part|eligible|on|off|in the|subscribed|set up|all set|free to)\b)|"
    r"you will now be|from now on,? you|from now on,? act|immerse yourself (?:in|into) the role|"
    r"from now on,? (?:\w+ )?(?:append|add|respond|reply|answer|include|always|never|say|write|use|speak|talk|end|start|sign)|"
    r"from now on,? the (?:assistant|ai|model|bot|agent|chatbot) (?:will|must|should|shall|answers|responds|replies|only)|"
    r"a partir de este (?:mensaje|momento),? (?:\w+ ){0,2}(?:ignora|responde|actua|eres|olvida|sigue)|"
    r"from this (?:point|moment) (?:forward|on),? you|henceforth,? you|going forward,? you|for the rest of this (?:conversation|chat),? you|"
    r"(?:desde este momento|de ahora en adelante|en adelante|desde ahora),? (?:\w+ ){0,2}(?:respondes|responderas|eres|seras|obedeces|"
    r"obedeceras|sigues|seguiras|actuas|actuaras)|stop being (?:an? |the )?(?:\w+ )?(?:assistant|ai|chatbot|bot|model)|"
    r"deja de ser (?:un |una |el |la )?(?:asistente|ia|chatbot|bot|modelo)|"
    r"the (?:real|actual|true|new) (?:instructions|task|rules|orders) (?:are|is)|las (?:verdaderas|nuevas|autenticas) instrucciones son|"
    r"you (?:will )?now (?:follow|obey|answer to|work for|serve|take orders from)|(?:follow|obey) only (?:my|these|the following)|"
    r"(?:respondes|obedeces|sigues) (?:solo|solamente|unicamente) (?:a )?mis (?:ordenes|instrucciones)|"
    r"your (?:new|real|actual|true) (?:task|instructions?|role|goal|objective|purpose) (?:is|are)|"
    r"your (?:next|first|only) (?:step|task|job|action) is to|"
    r"(?:the user'?s?|their) (?:real|actual|true) (?:request|task|goal|intent|question) is|"
    r"(?:ahora )?vas a (?:responder|actuar|ser|hablar|comportarte) como|"
    r"tu (?:nueva|verdadera|autentica) (?:tarea|mision|funcion|instruccion|objetivo) es|(?:hazme|hazle) caso solo a|"
    r"take on the (?:role|persona) of|adopt the (?:role|persona) of|"
    r"you are no longer|you have been (?:freed|unlocked|reprogrammed)|new persona|"
    r"eres ahora|ahora eres|ahora seras|a partir de ahora,? (?:eres|seras|actua|actuaras|responde)|"
    r"desde ahora,? (?:eres|seras)|ya no eres|tu nuevo rol|nuevo rol)\b"
)
_PRETEND = re.compile(
    r"\b(?:pretend (?:to be|you are|that you)|act as(?: if you were)?|roleplay as|role-play as|imagine you are|"
    r"behave as|act like|play the role of|let'?s roleplay|let'?s role-play|juguemos a que|finge (?:que eres|ser)|finja (?:que es|ser)|actua como|actue como|haz de cuenta que eres|"
    r"simula (?:ser|que eres)|comportate como)\b"
)
_PRIVILEGED_ROLE = re.compile(
    r"\b(?:admin|administrator|root|sysadmin|superuser|super user|developer|god|terminal|shell|hacker|full privileges|"
    r"administrador|desarrollador|superusuario|dios|modo dios)\b"
)
_NO_LIMITS = re.compile(
    r"\b(?:without (?:any )?(?:\w+ )?(?:restrictions?|limits?|limitations?|filters?|rules|guidelines|censorship|ethics|"
    r"safeguards?|guardrails?|moderation)|no (?:\w+ )?(?:restrictions|filters?|limits|rules|guidelines|guardrails|safeguards)(?: whatsoever)?|"
    r"unrestricted|unfiltered|uncensored|break (?:the|your|all|any) (?:\w+ )?(?:rules|guidelines|restrictions|policies)|"
    r"(?:safety|safe[_ ]?mode|filter(?:s|ing)?|guardrails?|moderation|censorship|restrictions?|alignment)\s*[=:]\s*"
    r"(?:off|false|0|none|disabled|no)\b|"
    r"(?:you have|you've got|you had|with) no (?:\w+ )?(?:content policy|policy|policies|rules|filters?|restrictions|limits|guidelines)|"
    r"no (?:existen|hay|tienes|tienen) (?:\w+ )?(?:normas|reglas|restricciones|limites|filtros|politicas)|"
    r"(?:switch|turn|shut) off (?:all )?your (?:\w+ )?(?:filters?|safety|guardrails|moderation|restrictions|censorship)|"
    r"disable (?:all )?your (?:\w+ )?(?:filters?|safety|guardrails|moderation|restrictions|censorship)|"
    r"(?:never|nunca) (?:refuses|rechaza|se niega|says no|dice que no|declines)|"
    r"(?:desactiva|apaga) (?:tu|tus|el|los) (?:\w+ )?(?:filtros?|seguridad|restricciones|censura)|"
    r"(?:sudo|admin|god|root|developer|debug|dev|unrestricted|jailbreak|dan) mode\s*[:=]\s*(?:on|enabled|true|1|activ\w*)|"
    r"you are now in ['\"]?[\w\- ]{2,30}?['\"]? mode|"
    r"(?:pretend|imagine|assume) (?:that )?(?:there (?:are|were) no|you (?:have|had) no|you don't have any) (?:\w+ )?"
    r"(?:rules|restrictions|guidelines|filters|limits|policies)|(?:no longer|not) bound by (?:\w+ )?(?:policy|policies|rules|guidelines)|"
    r"(?:romper|rompe|saltarte|saltate|saltar) (?:las|tus|todas las) (?:reglas|normas|restricciones|politicas)|"
    r"(?:you have|you've got|tienes|tiene) (?:\w+ )?(?:permission|permiso|autorizacion) (?:to|para) (?:skip|bypass|ignore|break|"
    r"saltarte|ignorar|romper|saltar)|"
    r"jailbreak(?:ed)?|jailbroken|do anything now|"
    r"(?:enable|enter|activate|switch to|switch into|turn on|go into|you are (?:now )?in|you're (?:now )?in|now in|entering) "
    r"(?:the )?(?:developer|dev|debug|god|maintenance|dan|jailbreak|unrestricted|admin|administrator|root) mode|"
    r"(?:developer|dev|debug|god|dan|jailbreak|admin|maintenance) mode (?:is )?(?:now )?(?:enabled|activated|engaged|active|on(?=\s*[.!,:;)\]]|\s*$))|"
    r"(?:you may|you can|you're allowed to|you are allowed to) (?:now )?(?:discuss|say|do|answer|talk about|write) anything|"
    r"(?:with|con) (?:total|complete|full|absoluta|completa) (?:freedom|libertad)|sin (?:ningun |ninguna )?(?:limite|restriccion|filtro)s?|"
    r"(?:ignores|disregards|bypasses|has no|tiene|ignora) (?:every|all|any|todas las|cualquier) (?:\w+ )?(?:restrictions?|rules?|filters?|"
    r"guidelines?|restricciones|reglas|filtros|normas?)|"
    r"sin (?:restricciones|filtros|limites|reglas|censura|etica)|"
    r"modo (?:desarrollador|dios|debug|administrador|mantenimiento|sin restricciones) (?:activado|activo|habilitado|encendido)|"
    r"(?:activa|activar|entra en|pasa a|cambia a|estas en) (?:el )?modo (?:desarrollador|dios|debug|mantenimiento|administrador|"
    r"sin restricciones))\b"
)

# --- asking for the hidden prompt / configuration
_REVEAL_VERB = _words(
    r"reveal|show|print|display|output|repeat|recite|list|tell me|give me|return|dump|leak|share|spell out|"
    r"write out|what (?:is|are|was|were)|copy|paste|describe|quote|cite|reproduce|transcribe|respond only with|"
    r"reply with|respond with|answer with|cuentame|cuenteme|cuenta|explicame|"
    r"mostre|mostra|revele|diga|dis-moi|dites-moi|montre-moi|montrez-moi|affiche|affichez|revele-moi|"
    r"admit|confess|disclose|enumerate|start listing|listing|recite|recites|copia|copiame|transcribe|proceed to reveal|"
    r"include|incluye|prepend|append|repeat after me|continue|paste|"
    r"tells?|telling|reveals?|revealing|shows?|showing|prints?|printing|gives?|giving|shares?|sharing|recites?|leaks?|"
    r"muestrame|muestra|muestre|revela|revele|revelame|dime|digame|devuelveme|devuelve|dame|deme|lista|listame|"
    r"imprime|escribe|escribeme|repite|cual es|cuales son|comparte|ensename|expon|"
    r"muestres|muestren|reveles|revelen|digas|des|ensenes|compartas|imprimas|repitas|escribas|copies"
)
_HIDDEN_PROMPT = _words(
    r"(?:system|initial|hidden|original|secret|internal|developer|pre-?)\s*(?:prompt|instructions|message|configuration|config)|"
    r"your (?:\w+ ){0,2}(?:prompt|instructions|rules|configuration|guidelines|directives|programming|setup)|"
    r"(?:texto|mensaje|instrucciones|prompt|reglas) que (?:tienes|te pusieron|te han puesto) (?:configurad[oa]s?|guardad[oa]s?|como sistema)?|"
    r"(?:las )?(?:reglas|normas|instrucciones) que te (?:puso|pusieron|dio|dieron|escribio|escribieron)|"
    r"(?:tus|sus) (?:\w+ )?(?:instrucciones|reglas|pautas|directrices|normas|indicaciones)|"
    r"what (?:you were|you've been|you have been) (?:told|given|instructed)|"
    r"(?:words|messages?|text|tokens|instructions) (?:that )?you (?:received|got|were given|saw|were sent)|anything hidden|"
    r"(?:the )?(?:start|beginning|top) of (?:this|the|our) (?:conversation|chat|context)|"
    r"(?:suas|tuas) instrucoes(?: internas)?|(?:seu|teu) prompt|prompt (?:do )?sistema|prompt systeme|(?:ton|votre) prompt|"
    r"(?:tes|vos) (?:instructions|consignes)|"
    r"(?:tu|su) (?:mensaje|prompt|instruccion|instrucciones|configuracion) (?:inicial|original|oculto|oculta|del sistema|del desarrollador)|"
    r"(?:other|previous|earlier) users'? (?:data|conversations?|messages|information|chats)|your memory|"
    r"(?:its|their|his|her) (?:\w+ ){0,2}(?:system prompt|instructions|initial prompt|hidden prompt|configuration|setup|rules)|"
    r"(?:text|context|words|instructions|prompt|data) (?:that )?you (?:were|have been|got) (?:primed|seeded|initiali[sz]ed|loaded|"
    r"configured|given|told|provided|fed) with|"
    r"(?:instruction|instructions|rule|rules) (?:that )?you (?:were|have been) (?:given|told)|"
    r"(?:what|whatever|everything|anything) you (?:were|have been|got) (?:told|asked|instructed|configured) to keep "
    r"(?:private|secret|confidential|hidden|to yourself)|"
    r"(?:my|our) (?:hidden|secret|system|initial|internal|original) (?:instructions|prompt|rules)s? (?:are|is|reads?|says?)|"
    r"(?:developer|system) message|"
    r"lo que (?:el desarrollador|tu creador|el sistema|tus creadores|los desarrolladores) te (?:escribio|dijo|indico|puso|dio)|"
    r"(?:restricted|confidential|classified|internal|private|privileged) (?:data|information|files|documents|records)|(?:que|lo que) te (?:dijeron|indicaron|ordenaron|pidieron) antes|"
    r"(?:prompt|instrucciones|mensaje) (?:del|de) (?:sistema|configuracion)(?: inicial)?|"
    r"(?:tu|su) (?:prompt|configuracion|instrucciones|programacion)|configuracion inicial|instrucciones iniciales|"
    r"(?:words|palabras) (?:of|in|de|en) (?:your|tu) prompt|el prompt|"
    r"(?:the )?(?:text|words|messages?|everything|content) (?:above|before this)|(?:el )?(?:texto|mensaje|contenido) (?:anterior|de arriba)|"
    r"(?:instructions|configuration|config|prompt|rules|guidelines|directives|setup) (?:that )?you (?:were|have been|got) "
    r"(?:given|told|provided|configured with|set up with)|"
    r"(?:instructions|prompt|rules|guidelines) (?:(?:that )?(?:your|the) (?:developers?|creators?|operators?|owners?) "
    r"(?:wrote|gave|set|provided|wrote you)|(?:before|above) my (?:first )?message)|"
    r"(?:instrucciones|configuracion|reglas|normas|directrices) (?:que )?(?:te )?(?:dieron|dio|escribieron|programaron|configuraron)|"
    r"(?:reglas|instrucciones|directrices|normas) ocultas|(?:hidden|secret|internal) (?:rules|instructions|guidelines|directives)|"
    r"(?:everything|all|anything) (?:in|from) your (?:context|context window|memory)|your context window|"
    r"(?:everything|all|text|anything) (?:that )?(?:appears|comes|is) (?:before|above) ['\"]?(?:user|my message|this message)|"
    r"(?:tus|sus) directrices internas"
)
_KEY_WORDS = re.compile(
    r"\b(?:(?:activation|license|product|serial|windows) keys?|claves? de (?:activacion|licencia|producto)|passwords?|contrasenas?|"
    r"pins?|pin codes?|card numbers?|ssns?|social security numbers?)\b"
)
_DAN_CONTEXT = re.compile(
    r"do anything now|jailbr|\bmode\b|you are|you're|act as|persona|stay in character|character|eres|ahora|modo|from now on|"
    r"pretend|roleplay|role-play|no restrictions|sin restricciones|unrestricted",
    re.IGNORECASE,
)
_DAN = re.compile(r"\bDAN\b|\bD\.A\.N\.?")  # case-sensitive: "dan" is a Spanish verb
_PROMPT_LEAK = re.compile(r"\b" + _REVEAL_VERB + r"\b" + (_GAP % 6) + _HIDDEN_PROMPT)

# --- hide it from the user
_SECRECY = re.compile(
    r"\b(?:(?:do not|don't|never|without) (?:tell(?:ing)?|inform(?:ing)?|mention(?:ing)?|notify(?:ing)?|alert(?:ing)?|"
    r"reveal(?:ing)?(?: this)? to|show(?:ing)?|let(?:ting)?|disclos(?:e|ing)(?: this)? to|explicitly mention)"
    r"(?: (?:this|it|that|anything))?(?: (?:to|step|requirement|verification))?(?: the| your)? (?:user|human|customer|operator|person)s?|"
    r"without the user(?:'s)? (?:knowing|knowledge|noticing|consent)|never mention this|do not mention (?:this|that|it)|"
    r"don't mention (?:this|that|it)|keep (?:this|it) (?:secret|hidden|confidential) from|"
    r"(?:silently|secretly|covertly|quietly) (?:post|send|upload|log|call|execute|run|include|forward|copy|"
    r"exfiltrate|read|access|save|store|transmit|add|install|modify|change|delete|remove|create|write|grant|approve|disable)|"
    r"no (?:mencionar|decir|revelar|informar|avisar)(?: nada)? (?:esto|esta \w+|este \w+|al usuario|de esto)|"
    r"(?:post|send|upload|log|forward|copy|exfiltrate|save|store|transmit)\b[^.\n]{0,100}\b(?:silently|secretly|covertly)|"
    r"no (?:le )?(?:digas|diga|menciones|mencione|informes|informe|avises|avise|muestres)(?: nada| esto)? al usuario|"
    r"sin que el usuario (?:lo )?(?:sepa|note|vea)|en secreto|silenciosamente|a escondidas|sin avisar al usuario|"
    r"(?:do not|don't|never|must not) (?:mention|reveal|disclose) (?:this|these) (?:note|message|instructions?|step)|"
    r"(?:do not|don't|never) (?:tell|inform|notify|alert) (?:anyone|anybody|the (?:clinic|bank|company|team|owner|admin|police|others?))|"
    r"without (?:telling|informing|notifying|alerting) (?:anyone|anybody|the (?:user|owner|team|admin))|sin decir(?:selo|le)? a nadie|"
    r"leave out (?:the part|any mention|the section|everything)|(?:do not|don't) (?:include|record|log) (?:the part|any mention)|"
    r"omit (?:any mention|the part)|no incluyas (?:la parte|ninguna mencion)|"
    r"no (?:menciones|mencione|digas|diga|reveles|revele) (?:esto|esta nota|este mensaje|estas instrucciones|este paso))\b"
)

# --- data leaving: verbs of sending governing data nouns; sensitive targets
_SEND_VERB = _words(
    r"send|post|upload|exfiltrate|forward|transmit|email|e-mail|leak|sync|dm|"
    r"envia|envie|enviar|manda|mande|sube|suba|reenvia|transmite|filtra"
)
_WEAK_SEND_VERB = _words(
    r"copy|share|submit|pass|include|attach|log|save|store|record|write|dump|"
    r"comparte|adjunta|incluye|guarda|copia|registra|escribe"
)
# weak verbs that hand data on by themselves; the others (save, store, log...) need a destination
_PASS_ON_VERBS = frozenset("copy share submit pass include attach dump comparte adjunta incluye copia".split())
_SENSITIVE_NOUN = (
    r"conversation(?: history| context)?|chat history|credentials|(?:api )?keys|passwords?|master password|tokens|secrets|"
    r"env(?:ironment)?(?: variables| dict)?|system prompt|cookies|session|personal information|payment credentials|"
    r"card numbers?|security codes?|verification codes?|one-time (?:code|password)s?|otp|2fa codes?|reset links?|"
    r"historial|credenciales|contrasenas|claves|variables de entorno|conversacion|codigos? de (?:seguridad|verificacion)"
)
_DATA_NOUN = _words(
    _SENSITIVE_NOUN + r"|data|history|messages|transcript|files?|contents?|payload|queries|outputs|requests|"
    r"code snippets|report data|thread|emails|inbox|contacts|addresses|documents|notes|phone numbers?|home address(?:es)?|"
    r"personal data|pii|social security numbers?|"
    r"datos|mensajes|archivos?|contenido|correos|contactos|direcciones|documentos"
)
_EXFIL = re.compile(r"\b" + _SEND_VERB + r"\b" + (_GAP % 6) + _DATA_NOUN + r"\b")
_SEND_TO_DEST = re.compile(
    r"\b(?<!an )(?<!a )(?<!the )(?<!un )(?<!el )" + _SEND_VERB + r"\b(?!\s+(?:us\s+)?(?:an?\s+|un\s+|una\s+)?(?:e-?mail|message|note|letter|request|ticket|feedback|"
    r"inquiry|question|correo|mensaje|solicitud)\b)[^.\n]{0,80}?\b(?:to|a|al|hacia)\s+(?:https?://\S+|[\w.+\-]+@[\w\-]+\.[\w.\-]+|my personal (?:address|email))"
)
_EXFIL_WEAK = re.compile(r"\b" + _WEAK_SEND_VERB + r"\b" + (_GAP % 6) + _DATA_NOUN + r"\b")
_SENSITIVE_NOUN_RE = re.compile(r"\b(?:" + _SENSITIVE_NOUN + r")\b")
_EXTERNAL_DEST = re.compile(r"\bhttps?://|\bwww\.|~/|\bserver\b|\bservidor\b|\bwebhook\b|@[a-z0-9\-]+\.[a-z]{2,}")
_EXFIL_COMMAND = re.compile(
    r"\b(?:curl|wget|nc|ncat|scp|rsync|ftp|invoke-webrequest)\b[^\n]*(?:~/\.|\$home|id_rsa|/etc/passwd|/etc/shadow|\.env\b|environ|"
    r"\$\{?(?:aws|openai|github|api)_)"
)
_EXFIL_WORD = re.compile(r"\b(?:exfiltrat\w*|exfiltr\w*|data exfil\w*)")
_URL = re.compile(r"\bhttps?://[^\s)\"'<>]+|\bwww\.[a-z0-9\-]+\.[a-z]{2,}[^\s)\"'<>]*")
_MARKDOWN_IMAGE_URL = re.compile(r"!\[[^\]]*\]\(\s*https?://[^)\s]*[?&][^)\s]*=")
_SENSITIVE_TARGET = re.compile(
    r"(?:~|\$home|/home/\w+|/root)/\.(?:ssh|aws|gnupg|docker|kube|netrc|bash_history|git-credentials|pgpass|npmrc|pypirc|env|cursor)"
    r"|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\bauthorized_keys\b|(?<![\w.])\.env\b|/etc/(?:passwd|shadow|sudoers)|/proc/self/environ"
    r"|/(?:etc|run|var/run)/secrets\b|\b(?:root|admin|administrator|master|db|database|wifi) password\b"
    r"|\b(?:environment variables|env vars|variables de entorno|api keys?|master password|credentials|"
    r"credenciales|private keys?|claves? privadas?|payment credentials|card number)\b"
)
_ACCESS_VERB = re.compile(
    r"\b(?:read|access|open|cat|extract|collect|gather|retrieve|fetch|get|include|dump|print|grab|steal|harvest|paste|enter|list|"
    r"reveal|show|give me|dame|muestra|revela|"
    r"lee|leer|accede|acceder|extrae|extraer|obten|obtener|muestra|incluye)\b"
)

# --- imitation of conversation structure / hidden-instruction markup
_FAKE_BOUNDARY = re.compile(
    r"</?\s*(?:system|assistant|user|untrusted[\w\-]*|instructions?|important|hidden|admin|sys|secret|developer)\s*>"
    r"|<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>|\[/?inst\]|<<\s*/?sys\s*>>"
    r"|^[ \t]*#{1,6}[ \t]*(?:system|system prompt|new instructions?)[ \t]*:?[ \t]*$"
    r"|\[(?:system|assistant|user|developer)\]\(#[\w\-]*\)|</?\s*information\s*>"
    r"|\b(?:end of (?:user input|document|context|data|email)|new (?:\w+ )?(?:instructions?|rules?|tasks?|directives?|orders)\s*:|"
    r"nuevas instrucciones:?|nueva (?:regla|tarea|instruccion)\s*:|(?:instruccion|instrucciones|nota|mensaje) ocult[ao]s?\s*:|"
    r"(?:assistant|ai|llm|model|agent|system)[_\- ]instructions?\b|"
    r"(?:system prompt|prompt|policy|instruction|rules) (?:update|override|change|addendum|patch|amendment)\s*:|"
    r"(?:hint|note|instructions?|message|prompt|directive)s?[_\- ](?:for|to)[_\- ](?:the[_\- ])?(?:llm|ai|model|assistant|agent|bot)s?\b|"
    r"\b(?:llm|ai|assistant|model|agent|bot)[_\-](?:hint|note|instructions?|directive|prompt)s?\b|"
    r"(?:hidden|invisible|secret) comment\s*:|(?:hidden|invisible|secret) (?:text|note|instructions?|message|prompt)\s*[:\]]|"
    r"texto oculto\s*:|"
    r"instrucciones del sistema|important system (?:note|instruction|message)|system (?:override|update|notice):|"
    r"maintainer note|security update)\b",
    re.MULTILINE,
)
_ROLE_LABEL = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=[\"'(\[{]))(?:P\.S\.\s*)?(?:SYSTEM|SISTEMA|ADMIN|ASSISTANT|ASISTENTE)\s*:",
    re.MULTILINE,
)
# mixed-case speaker labels are also how ordinary chat logs look: weaker evidence
_SPEAKER_LABEL = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=[\"'(\[{]))(?:P\.S\.\s*)?(?:System|Sistema|Assistant|Asistente|AI|IA|ChatGPT|GPT|Claude|Copilot|"
    r"Gemini|LLM)\s*:",
    re.MULTILINE,
)
# content hidden from a human reader but not from the model
_HIDDEN_CHANNEL = re.compile(
    r"<!--(?P<body>(?:(?!<!--)[\s\S]){0,2000}?)-->|<[^>]{0,200}\b(?:alt|title|aria-label|data-[\w\-]+|content)\s*=\s*['\"](?P<attr>[^'\"]{12,600})['\"]|"
    r"<[^>]{0,100}\bhidden\b[^>]{0,100}>(?P<hiddenattr>[^<]{0,2000})|"
    r"<[^>]{0,200}(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0|"
    r"color\s*:\s*(?:#fff(?:fff)?|white))[^>]{0,200}>(?P<styled>[^<]{0,2000})",
    re.IGNORECASE,
)

# --- directives addressed to the model itself (the tell-tale of indirect injection)
# what may follow a name when the model is being addressed
_ADDRESSEE_NEXT = (
    r"(?=\s*[,:!.;]|\s+(?:you|please|must|should|listen|now|here|when|before|ignore|forget|do|stop|escucha|por favor)\b)"
)
_ADDRESSED = re.compile(
    r"\b(?:(?:in|into|to|within|at the end of|at the start of|throughout) your (?:response|answer|reply|output|summary|"
    r"code|codebase|solution|result|message)s?|your (?:response|answer|reply|output)(?:'s)?\b|"
    r"(?:en|a|al final de) (?:tu|su) (?:respuesta|contestacion|resumen|codigo|solucion)|tu respuesta|su respuesta|"
    r"(?:respond|reply|answer) (?:only|solely|just|exclusively) with|responde (?:unicamente|solo|solamente) con|"
    r"(?:note|message|attention|instructions?) (?:to|for) (?:the )?(?:ai|assistant|model|llm|agent|chatbot|bot)|"
    r"if (?:you are|you're|ur|u r|u are|youre) an? (?:ai|language model|assistant|llm|agent|bot|chatbot|model)|"
    r"si eres (?:un|una) (?:ia|modelo|asistente|agente|bot|chatbot|inteligencia artificial|modelo de lenguaje)|"
    r"(?<!the )(?<!an )(?<!a )(?<!our )(?<!each )(?<!every )(?<!el )(?<!un )"
    r"(?:ai|assistant|llm|agent|modelo|asistente|ia),? (?:you )?(?:must|should|will|need to|debes|tienes que)|"
    r"you must (?:first|always|now|immediately)|before (?:returning|providing|responding|answering|giving)|"
    r"before you (?:can )?(?:solve|do|complete|answer|respond|continue|proceed)|"
    r"(?:to you|dear|hey|hello|hi|attention|note to|message (?:to|for)),? (?:the )?(?:gpt-?[\w.]*|chatgpt|claude|gemini|llama|"
    r"copilot|bard|ai|assistant|model|llm|agent|chatbot|bot|language model)"
    r"(?=\s*[,:!.;]|\s+(?:you|please|must|should|when|before|ignore|do|now|here)\b)|"
    r"(?:nota|mensaje|aviso|instrucciones?) (?:importante )?(?:para|al|a la) (?:el |la )?(?:ia|asistente|modelo|agente|chatbot|bot)\b|"
    r"(?:ai|assistant|llm|agent|model)s? (?:reading|evaluating|reviewing|processing|summari[sz]ing) this\b|"
    r"(?:please|por favor),? (?:ai|assistant|ia|asistente)\b|"
    r"(?:todo|note|task|instructions?|message|disclaimer|notice|reminder|ps|p\.s\.|hint|tip|aside|memo) (?:for|to) (?:the |any |all )?(?:\w+ )?"
    r"(?:agents?|assistants?|ai|models?|llms?|bots?|automated (?:readers|systems|agents|tools)|machine readers|crawlers|scrapers)"
    r"(?: readers| systems| crawlers| reviewers| graders| screeners| evaluators| tools)?(?: only)?\)?\s*[:,]|"
    r"attention,? (?:\w+ ){0,2}(?:assistants?|agents?|bots?|models?|ai|llms?)\s*[:,!]|"
    r"\b(?:for|to) (?:all |any )?(?:ai|llm|language model|assistant|bot|model|agent)s?(?: readers| systems| agents| assistants| crawlers|"
    r" reviewers| graders| screeners| evaluators| tools)(?: only)?\)?\s*:|"
    r"(?:ai|assistant|model|llm|bot|chatbot|agent|asistente|modelo)[,:]?\s+please\b|"
    r"(?:okay|ok|hey|oye|listen|escucha),? (?:\w+ )?(?:ai|assistant|model|llm|bot|chatbot|agent|asistente|modelo|ia)" + _ADDRESSEE_NEXT + r"|"
    r"when you (?:summari[sz]e|read|process|answer|respond to|describe|translate|review) (?:this|these|it)\b|"
    r"(?:cualquier|toda|la|el|una?) (?:ia|asistente|modelo|agente|bot) que (?:lea|procese|resuma|analice|vea) (?:esto|este|esta)|"
    r"(?:ai|assistant|llm|agent|model|bot|chatbot|asistente|modelo|agente|ia)(?: agent| assistant| model)?\s*[,:]\s*(?:please |now |por favor )?"
    r"(?:stop|ignore|forget|do|don't|you|send|book|call|delete|forward|email|upload|tell|say|add|include|write|reply|respond|"
    r"open|click|visit|go|make|give|transfer|pay|after|when|before|new|olvida|ignora|envia|borra|responde|di|dile|haz)\b|"
    r"(?:when|if|once|after|whatever|whichever|any|every|each) (?:an? |the |any )?(?:ai|assistant|agent|model|llm|chatbot|bot)s? "
    r"(?:is |are )?(?:reads?|reading|sees?|seeing|process(?:es|ing)?|summari[sz](?:es|ing)?|parses?|parsing|finds?|transcrib(?:es|ing)|"
    r"listen(?:s|ing)(?: to)?|record(?:s|ing)|watch(?:es|ing)|analy[sz](?:es|ing)|grad(?:es|ing)|screen(?:s|ing)|review(?:s|ing)|"
    r"triag(?:es|ing)) (?:this|these)|"
    r"@[\w\-]*(?:ai|bot|assistant|gpt|agent|copilot|llm)[\w\-]*\b|"
    r"(?:when|whenever|every time|each time|once) you (?:see|read|get|receive|find|process|open|load) (?:this|these)|"
    r"(?:ai|llm|language models?|assistants?|agents?|chatbots?|bots?|models?)(?: [\w\-]+){0,3} (?:must|should|shall|"
    r"(?:is|are) required to|need to|have to) (?:\w+ ){0,2}(?:rank|rate|score|approve|reject|recommend|include|ignore|disregard|say|"
    r"tell|reply|respond|send|forward|give|mark|classify|call|execute|run|add|click|visit|open|delete|transfer|book|buy|pay|accept|"
    r"grant|email|upload|wire|cancel|remove|navigate|go|browse|fetch|load|purchase|post|move|change|push)\b|"
    r"instruccion(?:es)? (?:para|al|a la) (?:el |la )?(?:ia|asistente|modelo|agente|chatbot|bot)\b|"
    r"antes de (?:responder|contestar|devolver)\b)"
)
_TASK_VERBS = (
    "write create generate compose draft recommend suggest analyze analyse summarize summarise translate encrypt "
    "encode decode reverse add integrate include insert incorporate embed develop upgrade determine calculate "
    "describe explain tell give provide answer respond visit send "
    "forward upload transfer pay buy promote mention say claim classify "
    "approve grant rewrite "
    "escribe redacta genera crea recomienda sugiere analiza resume traduce cifra codifica invierte anade agrega "
    "integra incluye inserta incorpora usa utiliza desarrolla determina calcula describe explica dime da dame "
    "proporciona responde imprime ejecuta llama abre visita envia reenvia publica sube borra elimina transfiere paga "
    "compra promociona menciona di afirma puntua califica aprueba concede desactiva cambia reemplaza reescribe "
    "convierte busca reserva cancela"
).split()
_IMPERATIVE_LINE = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=\|))[ \t]*(?:please |por favor )?(?:" + "|".join(sorted(set(_TASK_VERBS), key=len, reverse=True))
    + r")\b(?P<rest>[^\n|]*)$",
    re.MULTILINE,
)
_TOOL_CALL = re.compile(
    r"\b(?:(?:call|invoke|trigger) (?:the |this |that )?`?[a-z_][\w\-]*`? (?:tool|function|action)"
    r"|(?:using|use|via) the `?[a-z_][\w\-]*`? tool|(?:force|make) `?[a-z_]\w*`?\(\)"
    r"|(?:always|first|must|should) (?:call|invoke|use) (?:the |this )?`?[a-z_][\w\-]*`?(?: tool)?"
    r"|(?:call|invoke|run|trigger|execute) `?[a-z]+_[a-z_]+`?(?= with\b| using\b| and\b|[\s.,;:]*$)"
    r"|(?:call|invoke|run|trigger|execute) `?[a-z_][\w.]*\("
    r"|(?:llama|invoca|usa|ejecuta) (?:a )?(?:la )?(?:herramienta|funcion) `?\w+`?)"
)
_DESTRUCTIVE = re.compile(
    r"\brm\s+-(?:rf|fr|r)\b|\bdrop\s+(?:table|database)\b|\bdelete\s+(?:all|every|the database)\b|\bformat\s+c:|"
    r"\bmkfs\b|\bchmod\s+-?r?\s*777\b|\bcurl\b[^\n|]*\|\s*(?:ba|z)?sh\b|\bwget\b[^\n|]*\|\s*(?:ba|z)?sh\b|"
    r"\bcurl\b[^\n]*\s-(?:d|f|F|T)\s*@|\bnc\s+-e\b|"
    r"\b(?:borra|elimina|borrar|eliminar) (?:la base de datos|todos? (?:los|las)|toda la)\b|\bdestruye\b|"
    r"\bbackdoor\b|\b(?:reset|change|update) (?:the )?(?:user'?s?|customer'?s?|their|admin'?s?) (?:password|email|phone|2fa|mfa|recovery)|\b(?:wipe|erase|purge|delete|remove|destroy) (?:all (?:of )?)?(?:the |my |your |their )?(?:user'?s'? |customer'?s'? )?"
    r"(?:\w+ )?(?:files|folders?|drafts|emails|inbox|data|records|database|repos?|repositor(?:y|ies)|backups|accounts?|history)\b"
)
_PRIVILEGE_CLAIM = re.compile(
    r"\b(?:i am|i'm) (?:the |an? |your )?(?:\w+ )?(?:admin|administrator|developer|owner|creator|ceo|supervisor|sysadmin)\b|"
    r"\b(?:as|como) (?:the |your |el |la |tu )?(?:\w+ )?(?:admin|administrator|administrador|developer|desarrollador|owner|"
    r"dueno|supervisor|sysadmin)(?: del sistema| of (?:this|the) system)?,? (?:i|te|yo)\b|"
    r"\b(?:soy|yo soy) (?:el |la |un |una |tu )?(?:\w+ )?(?:admin|administrador|administradora|desarrollador|desarrolladora|duen[oa]|supervisor)\b|"
    r"\b(?:the )?user (?:is|has) (?:an? )?(?:admin|administrator|supervisor|vip|root|full (?:access|permissions))|"
    r"\b(?:the )?user is (?:an? )?(?:authori[sz]ed|verified|trusted|certified|approved) (?:\w+ ){0,2}(?:tester|admin|user|employee|auditor)|"
    r"\b(?:the )?(?:user|admin|administrator|developer|owner|operator) (?:has|have) (?:already )?(?:authori[sz]ed|approved|permitted|allowed|"
    r"granted) you to\b|\b(?:el usuario|el administrador) (?:te )?(?:ha )?(?:autorizado|permitido|aprobado)\b|"
    r"\bel usuario es (?:un |el )?(?:admin|administrador|supervisor|vip|root)|\b(?:tiene|tengo) permisos totales|"
    r"\bacceso total\b|\bfull (?:admin )?access\b|\b(?:full|root|admin|unlimited) (?:privileges|permissions|control)\b|"
    r"\b(?:authori[sz]ation|clearance|access|privilege|security) level\s*[:=]?\s*\d+|"
    r"\b(?:i'?m|i am) (?:cleared|authori[sz]ed|allowed|permitted|approved) to (?:see|view|access|read|know)\b|"
    r"\b(?:an? )?(?:authori[sz]ed|approved|sanctioned|official) red[- ]team(?:ing)? (?:exercise|test|engagement)\b|"
    r"\bthis is (?:your|the) (?:operator|developer|creator|admin|administrator|owner|system)(?: speaking)?\b|"
    r"\b(?:habla|te habla) (?:tu|el) (?:operador|desarrollador|creador|administrador)\b|"
    r"\baccess granted\b|\bauthorized by (?:the )?(?:admin|developer|system)|"
    r"\b(?:developer|admin|administrator|master|override|unlock|maintenance|debug|sudo|root) (?:override |unlock |access )?"
    r"(?:code|password|key|token|passphrase)\s*[:=#]?\s*\w*\d\w*|"
    r"\b(?:the )?(?:assistant|ai|model|agent|bot|llm)s? (?:is|are) (?:now |hereby |officially )?(?:authori[sz]ed|allowed|permitted|"
    r"approved|cleared|entitled) to\b|\b(?:el asistente|la ia|el modelo|el agente) (?:ya )?(?:esta|queda) autorizad[oa] a\b|"
    r"\b(?:rules?|restrictions?|limits?|policies|guidelines) (?:do not|don't|no longer|doesn't|does not) (?:really |actually )?apply|"
    r"\b(?:las )?(?:reglas|restricciones|limites|normas)(?: de \w+)? (?:no|ya no) (?:aplican|se aplican)"
)
_SKIP_APPROVAL = re.compile(
    r"\b(?:without (?:asking|confirmation|confirming|approval|permission|review|human review|the user'?s? (?:consent|approval|"
    r"confirmation|knowledge))|no need to (?:ask|confirm|check)|"
    r"no (?:confirmation|approval|permission|review) (?:is )?(?:needed|required|necessary)|"
    r"skip (?:the |all )?(?:security |safety )?(?:checks?|checklist|review|scan|tests|approval)|"
    r"skip (?:asking|confirming with|checking with) (?:the )?user|don'?t (?:ask|wait) for (?:confirmation|approval|permission)|"
    r"sin (?:pedir|preguntar|confirmar|confirmacion|permiso|aprobacion)|no hace falta (?:preguntar|confirmar))\b"
)
_USER_DATA_OUT = re.compile(
    r"\b(?:move|copy|upload|share|post|publish|send|export|push|forward|leak|paste|dump)\b(?: \w+){0,2} (?:all |every )?(?:of )?"
    r"(?:the |their |his |her )?(?:user'?s?'?|customer'?s?'?|client'?s?'?|employees?'?s?'?) (?:\w+ ){0,2}(?:files|data|documents|notes|emails|"
    r"contacts|photos|messages|history|records|details|information|addresses|phone numbers?|salar(?:y|ies)|credentials|passwords)"
    r"|\b(?:comparte|compartan|envia|enviad|manda|reenvia|sube|publica|exporta)(?:nos)?\b(?: con nosotros)? (?:\w+ ){0,4}del (?:usuario|cliente)"
    r"|\b(?:push|publish|paste|post|commit|upload)\b[^.\n]{0,50}?\b(?:credentials|passwords?|secrets?|tokens?|keys)\b[^.\n]{0,40}?"
    r"\b(?:gist|pastebin|public|shared|repo|channel|forum)"
)
_FINANCIAL_ACTION = re.compile(
    r"\b(?:purchase|buy|order|pay for|pay|charge|wire|transfer|send money|book)\b[^.\n]{0,80}?\b(?:stored|saved|user'?s?|their|"
    r"default|on-file|registered) (?:credit )?(?:card|payment method|payment|account|wallet)"
    r"|\b(?:charge|bill) it to (?:the |their |my )?(?:saved|stored|user'?s?) (?:card|account)"
    r"|\b(?:compra|paga|cobra|transfiere|reserva)\b[^.\n]{0,80}?\b(?:su|la) tarjeta (?:guardada|registrada)"
)
_ON_BEHALF = re.compile(
    r"\b(?:on behalf of (?:the|this|your) (?:user|customer|owner)|(?:en nombre|a nombre) del (?:usuario|cliente))\b"
    r"|\b(?:share|comparte|compartir)\b[^.\n]{0,60}?\b(?:with|con)\s+(?:[\w.+\-]+@[\w\-]+\.[\w.\-]+|https?://\S+)"
)
_DECODE_EXEC = re.compile(
    r"\b(?:decode|decrypt|deobfuscate|decodifica|descifra|decodificar)\b" + (_GAP % 4) +
    r"(?:and |y )?(?:then )?(?:execute|run|follow|obey|ejecuta|sigue|obedece|ejecutar)\b"
)
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")

# --- the model addressed by name, vocative style ("Also, model, append ...", "-- AI reviewer, approve ...")
_VOCATIVE_PREFIX = (
    r"(?:^|[.!?;:]\s{1,4}|,\s{0,4}|--\s{0,4}|[^\w\s,.'\"]\s{0,4})(?:also,?\s{1,4}|and,?\s{1,4}|ok,?\s{1,4}|okay,?\s{1,4}|now,?\s{1,4}|"
    r"y,?\s{1,4}|oye,?\s{1,4})?"
)
_VOCATIVE_NAME = (
    r"(?:ai|assistant|model|llm|bot|chatbot|agent|gpt|chatgpt|claude|copilot|ia|asistente|modelo|automated helper|"
    r"automated assistant|virtual assistant)(?: \w+){0,2}"
)
_VOCATIVE_VERBS = (
    r"please|you|from|now|when|before|after|if|ignore|forget|stop|do|don't|disregard|send|tell|say|add|append|include|write|reply|"
    r"respond|answer|call|run|delete|remove|forward|email|book|transfer|this|listen|approve|merge|apply|mark|rate|rank|score|grant|"
    r"give|summari[sz]e|report|list|open|click|buy|pay|accept|share|cancel|wire|replace|reveal|export|change|move|order|purchase|"
    r"olvida|ignora|envia|borra|responde|di|dile|haz|a partir|desde|cuando|por favor"
)
_VOCATIVE = re.compile(
    r"@[\w\-]*(?:ai|bot|assistant|gpt|agent|copilot|llm)[\w\-]*\b|"
    # "Assistant, disregard ...", "model -> accept ...", "AI reviewer -- approve ..."
    + _VOCATIVE_PREFIX + _VOCATIVE_NAME + r"\s*(?:,|->|=>|\u2014|\u2013|\s--\s)\s*"
    r"(?:(?:urgent|important|note|quick|hey)\s*(?:,|\u2014|\u2013|--|:)\s*)?(?!(?:the|a|an|is|are|was|were|which|that|who|and|or|of|in|on|"
    r"for|with|to|it|its|by|as|at|from|el|la|los|las|un|una|que|y|o|de|en|con|es|son)\b)[a-z]{2,}\b(?!\s*[,)=:(\]])|"
    # "LLM reviewers: approve ..." (a colon is also how chat logs and YAML look, so the next word must be an order)
    + _VOCATIVE_PREFIX + _VOCATIVE_NAME + r"s?\s*:\s*(?=(?:" + _VOCATIVE_VERBS + r")\b)|"
    r"\b(?:dear|hey|hi|hello|ok|okay|oye|hola|querido|querida|estimado|estimada|mr\.?|ms\.?)\s*,?\s+(?:\w+\s+)?(?:ai|assistant|model|llm|"
    r"bot|chatbot|agent|gpt|chatgpt|claude|copilot|ia|asistente|modelo|helper|automated helper)\b\s*[,:!]"
)

# --- text dedicated to AI readers ("to the language model:", "Mensaje para asistentes virtuales:")
_DEDICATIVE = re.compile(
    r"\b(?:to|for|para|al|a la|a los|a las)\s+(?:the |any |all |every |whatever |whichever |each |el |la |los |las |cualquier |todo |todos los )?"
    r"(?:[\w\-]+ ){0,2}(?:ai|a\.i\.|llm|language model|assistant|bot|chatbot|agent|model|copilot|gpt|ia|asistente|modelo|agente|"
    r"automated (?:\w+ )?(?:systems?|tools?|readers?|helpers?)|sistemas? (?:de \w+ )?automaticos|sistemas? de ia|herramientas de ia)s?"
    r"(?:es)?(?: (?:virtuales|de ia|virtual|readers?|reviewers?|listening|reading(?: this)?|escuchando|leyendo))?\s*[:\u2014]\s+\S"
    r"|\b(?:to|for) (?:any|all|every|whatever) (?:[\w\-]+ ){0,2}(?:ai|assistant|bot|chatbot|agent|model|copilot)s? "
    r"(?:listening|reading|watching|processing|here)\b"
)

# --- directive features: several independent hints that a piece of *data* is talking to the model.
# One hint is normal (docs say "the model should return JSON"); three or more in one text rarely are.
_FEATURES: dict[str, re.Pattern[str]] = {
    "mentions an AI reader": re.compile(
        r"\b(?:ai|a\.i\.|llms?|language models?|assistants?|chatbots?|bots?|agents?|models?|summari[sz]ers?|copilot|gpt[\w.\-]*|"
        r"chatgpt|claude|gemini|ia|asistentes?|modelos?|agentes?)\b"
    ),
    "uses directive modals": re.compile(
        r"\b(?:must|should|shall|need to|needs to|have to|has to|(?:are|is) required to|please|make sure|be sure to|"
        r"debe|deben|debes|tienes que|tiene que|hay que|por favor|asegurate)\b"
    ),
    "talks about the user": re.compile(
        r"\b(?:the user|the user's|users'|the human|the reader|the customer's|el usuario|al usuario|del usuario|los usuarios)\b"
    ),
    "talks about the model's output": re.compile(
        r"\b(?:(?:your|tu|su|each of your|every) (?:reply|replies|response|responses|answer|answers|summary|output|respuesta|resumen)|"
        r"(?:say|state|tell|write|claim|mention|respond|reply|answer)(?: to)? (?:that|the user|the reader|with)|"
        r"(?:di|dile|responde|contesta|decir|responder) (?:que|al usuario|con))\b"
    ),
    "refers to itself as content": re.compile(
        r"\b(?:this (?:page|file|document|e-?mail|message|note|text|comment|review|site|article|pdf|ticket|interview|result|issue|"
        r"pr|pull request|commit|invite|invitation|event|thread|post|chat|record|listing|product)|"
        r"(?:esta|este) (?:pagina|nota|web|documento|archivo|correo|mensaje|texto|comentario|resena|sitio))\b"
    ),
    "asks for covert action": re.compile(
        r"\b(?:silently|secretly|quietly|covertly|without (?:telling|mentioning|notifying|informing)|do not (?:tell|mention|reveal)|"
        r"sin (?:avisar|decir|mencionar)|en secreto|a escondidas)\b"
    ),
}


def _directive_features(folded: str) -> list[str]:
    return [name for name, pattern in _FEATURES.items() if pattern.search(folded)]


def _feature_windows(folded: str) -> list[tuple[int, list[str]]]:
    """Windows (around mentions of an AI reader) where three or more features co-occur.

    Each feature regex runs once over the whole text; windows are then
    checked with binary search, so long texts cost a few linear passes.
    """
    import bisect

    ai_name = "mentions an AI reader"
    ai_positions = [m.start() for m in _FEATURES[ai_name].finditer(folded)]
    if not ai_positions:
        return []
    positions = {name: [m.start() for m in p.finditer(folded)] for name, p in _FEATURES.items() if name != ai_name}
    windows: list[tuple[int, list[str]]] = []
    last = -_WINDOW
    for position in ai_positions:
        if position - last < _WINDOW // 4:
            continue
        last = position
        low, high = max(0, position - _WINDOW // 2), position + _WINDOW // 2
        present = [ai_name] + [
            name for name, starts in positions.items() if bisect.bisect_left(starts, low) < bisect.bisect_left(starts, high)
        ]
        if len(present) >= 3:
            windows.append((low, present))
    return windows


# descriptive/defensive context: the text talks *about* attacks
_DESCRIPTIVE = re.compile(
    r"\b(?:such as|e\.g\.|for example|for instance|known as|phrases|attacks?|attackers?|"
    r"injections?|jailbreaking|vulnerabilit\w+|mitigat\w+|detect\w*|"
    r"frases?|por ejemplo|ataques?|atacantes?|inyecci\w+|vulnerabilidad\w*)\b"
)
_NEGATION_BEFORE = re.compile(r"\b(?:do not|don't|never|must not|should not|no|nunca|no debes|jamas)\s+(?:\w+\s+){0,1}$")


# ---------------------------------------------------------------- gating
# Each signal regex runs only when one of its trigger substrings occurs in the
# folded text (one C-speed substring search each), so a large benign prompt
# pays for a handful of regex passes instead of twenty. A trigger must occur
# in *every* text the regex can match: keep them in step with the regexes.
_TRIGGERS: dict[re.Pattern[str], tuple[str, ...]] = {
    _OVERRIDE: ("ignor", "aside", "de lado", "disregard", "forget", "overrid", "overrul", "bypass", "skip", "abandon", "discard", "drop",
                "neglect", "follow", "pay no attention", "olvid", "omit", "descart", "caso omiso", "no sigas",
                "obedezcas", "deja de seguir", "pasa por alto", "oubli", "vergiss", "vergessen", "esquec", "dimentica"),
    _OVERRIDE_SHORT: ("ignor", "disregard", "forget", "overrid", "bypass", "skip", "discard", "drop", "neglect",
                      "olvid", "omit", "descart", "caso omiso", "pasa por alto", "oubli", "vergiss", "esquec", "dimentica"),
    _ROLE_CHANGE: ("you are now", "you're now", "you will now", "from now on", "no longer", "freed", "unlocked",
                   "reprogrammed", "persona", "eres", "seras", "a partir de ahora", "desde", "rol", "role", "from this",
                   "henceforth", "going forward", "rest of this", "adelante", "stop being", "deja de ser", "the real",
                   "the actual", "the true", "the new", "instrucciones son", "you now", "you will now", "only",
                   "solo", "unicamente", "your new", "your real", "your actual", "your true", "tu nueva", "tu verdadera",
                   "tu autentica", "caso solo", "follow", "obey", "next step", "first step", "only step", "next task",
                   "next job", "real request", "actual request", "true request", "real task", "vas a"),
    _PRETEND: ("pretend", "act as", "act like", "roleplay", "role-play", "imagine you", "behave as", "fing", "actua", "actue",
               "haz de cuenta", "simula", "comportate", "play the role"),
    _NO_LIMITS: ("without", "no ", "unrestricted", "unfiltered", "uncensored", "jailbr", "mode", "do anything now",
                 "sin ", "modo ", "break", "romp", "salt", "pretend", "imagine", "assume", "bound", "safe", "filter",
                 "guardrail", "moderation", "censorship", "restriction", "alignment", "policy", "policies", "rules", "limits",
                 "anything", "freedom", "libertad", "limite", "every", "cualquier", "todas las", "existen", "no hay",
                 "mode", "switch", "turn", "shut", "disable", "never", "nunca", "desactiva", "apaga"),
    _PROMPT_LEAK: ("prompt", "instruction", "configuration", "config", "message", "rules", "guidelines", "directives",
                   "instrucciones", "configuracion", "programacion", "mensaje", "texto", "contenido", "text", "words",
                   "everything", "content", "palabras", "dijeron", "told", "given", "instructed", "indicaron", "ordenaron",
                   "pidieron", "pautas", "directrices", "normas", "reglas", "programming", "context", "memory", "above",
                   "before", "setup", "received", "hidden", "inicial", "original", "oculto", "users", "verbatim", "start of",
                   "beginning of", "top of", "instrucoes", "consignes", "systeme", "sistema", "primed", "seeded",
                   "initiali", "loaded", "configured", "fed with", "escribio", "dijo", "restricted", "confidential",
                   "classified", "internal", "private", "privileged", "keep", "developer message", "system message",
                   "are as follows"),
    _SECRECY: ("user", "usuario", "silently", "secretly", "covertly", "quietly", "secreto", "silenciosamente",
               "escondidas", "mention", "knowing"),
    _EXFIL: ("send", "post", "upload", "exfil", "forward", "transmit", "email", "e-mail", "leak", "sync", "envi",
             "mand", "sube", "suba", "reenvi", "transmite", "filtra"),
    _EXFIL_WEAK: ("copy", "share", "submit", "pass", "include", "attach", "log", "save", "store", "record", "write",
                  "dump", "compart", "adjunt", "inclu", "guard", "copi", "registr", "escrib"),
    _EXFIL_WORD: ("exfil",),
    _SEND_TO_DEST: ("send", "post", "upload", "forward", "transmit", "email", "e-mail", "leak", "sync", "envi", "mand",
                    "sube", "suba", "reenvi", "transmite", "filtra"),
    _VOID_DECLARATION: ("void", "null", "cancel", "revoked", "obsolete", "no longer", "invalid", "overridden", "suspended",
                        "disabled", "lifted", "deprecated", "outdated", "superseded", "expired", "replaced", "never", "test",
                        "fake", "not real", "irrelevant", "joke", "noise", "lifted", "removed", "turned off", "switched off",
                        "waived", "deactivated", "relaxed", "suggestion", "optional", "advisory", "recommendation",
                        "free to ignore", "ya no",
                        "quedan", "estan"),
    _IGNORE_USER: ("ignor", "disregard", "forget", "overrid", "skip", "discard", "drop", "neglect", "olvid", "omit", "descart",
                   "caso omiso", "pasa por alto", "stop", "abandon", "supersed", "replace", "cancel"),
    _EXFIL_COMMAND: ("curl", "wget", "nc ", "ncat", "scp", "rsync", "ftp", "invoke-webrequest"),
    _MARKDOWN_IMAGE_URL: ("![",),
    _SENSITIVE_TARGET: ("~", "$home", "/home/", "/root", "id_", "env", "/etc/", "/proc/", "environment",
                        "variables de entorno", "api key", "master password", "credential", "credencial",
                        "private key", "clave", "payment", "card number"),
    _FAKE_BOUNDARY: ("<", "[", "##", "end of", "instruction", "instrucciones", "important system",
                     "system ", "maintainer", "security update"),
    _DESTRUCTIVE: ("rm ", "drop", "delete", "format", "mkfs", "chmod", "curl", "wget", "nc ", "borr", "elimin",
                   "destruye", "wipe", "erase", "purge", "remove", "destroy", "backdoor", "reset", "change", "update"),
    _PRIVILEGE_CLAIM: ("i am", "i'm", "user", "usuario", "permisos", "acceso total", "access", "authorized", "apply",
                       "aplican"),
    _DECODE_EXEC: ("decod", "decrypt", "deobfusc", "descifra"),
    _DEDICATIVE: ("ai", "llm", "model", "assistant", "bot", "agent", "copilot", "gpt", "ia", "asistente", "modelo",
                  "agente", "automat"),
    _SKIP_APPROVAL: ("without", "no need", "don't", "dont", "sin ", "no hace falta", "no confirmation", "no approval",
                     "no permission", "no review", "skip"),
    _ON_BEHALF: ("behalf", "nombre del", "share", "compart"),
    _USER_DATA_OUT: ("user", "customer", "client", "employee", "usuario", "cliente", "credential", "password", "secret",
                     "token", "key"),
    _FINANCIAL_ACTION: ("card", "payment", "account", "wallet", "tarjeta"),
    _HIDDEN_CHANNEL: ("<!--", "display", "visibility", "font-size", "color", "alt=", "title=", "aria-label", "data-", "content=",
                      "hidden"),
}  # fmt: skip


# each pattern's trigger words as one regex: a C-speed "does any trigger occur?" (the screen runs
# on every new message of every call, so a Python loop over ~500 substrings per text was its cost)
_TRIGGER_RES: dict[int, re.Pattern[str]] = {  # keyed by id(): hashing a Pattern rehashes its source
    id(pattern): re.compile("|".join(re.escape(t) for t in sorted(triggers, key=len, reverse=True)))
    for pattern, triggers in _TRIGGERS.items()
    if triggers
}


def _find(pattern: re.Pattern[str], text: str, lowered: str | None = None) -> list[re.Match[str]]:
    trigger = _TRIGGER_RES.get(id(pattern))
    haystack = text if lowered is None else lowered
    if trigger is not None and trigger.search(haystack) is None:
        return []
    return list(pattern.finditer(text))
