// The page's words in its language: read from the JSON block the server rendered into the page
// (from the same gettext catalogue as the page's HTML). A message not translated shows its
// English source. t("Checked in at {time}", { time: "19:02" }) fills the named places;
// tn("{count} scan", "{count} scans", n) picks the form for n (and fills {count}).
"use strict";

(() => {
  const block = document.getElementById("strings");
  const messages = block ? JSON.parse(block.textContent).messages : {};
  const fill = (text, values) =>
    values ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole)) : text;
  // The catalogues' two forms (one, other: gettext's "n != 1", Norwegian's and English's rule),
  // chosen by CLDR's plural rules (no expression from the catalogue is evaluated: the CSP).
  const rules = new Intl.PluralRules(document.documentElement.lang || undefined);
  window.t = (message, values) => fill(messages[message] || message, values);
  window.tn = (singular, plural, count, values) => {
    const forms = messages[singular] || [singular, plural];
    const text = rules.select(count) === "one" ? forms[0] : forms[forms.length - 1];
    return fill(text, Object.assign({ count }, values));
  };
})();
