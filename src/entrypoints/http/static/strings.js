// The page's words in its language: read from the JSON block the server rendered into the page
// (from the same gettext catalogue as the page's HTML). A message not translated shows its
// English source. t("Checked in at {time}", { time: "19:02" }) fills the named places.
"use strict";

window.t = (() => {
  const block = document.getElementById("strings");
  const messages = block ? JSON.parse(block.textContent).messages : {};
  return (message, values) => {
    const text = messages[message] || message;
    return values ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole)) : text;
  };
})();
