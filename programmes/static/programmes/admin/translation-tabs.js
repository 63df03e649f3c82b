// modeltranslation puts a menu beside the page title that switches every language tab at once,
// with no name for screen readers (axe: select-name). This names it, in the staff member's
// language (the admin's JavaScript catalogue). Runs after modeltranslation's own ready handler,
// which builds the menu, since this file is loaded after its script.
"use strict";
django.jQuery(function () {
  const menu = document.getElementById("modeltranslation-main-switch");
  if (menu) {
    menu.setAttribute("aria-label", gettext("Language of every tab"));
  }
});
