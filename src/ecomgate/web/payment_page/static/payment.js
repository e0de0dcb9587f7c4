/* EcomGate hosted payment page: formatting, validation, countdown and submission.
 * Vanilla ES2017, no build step, no external resources.
 *
 * Contract: POST application/x-www-form-urlencoded to config.processUrl with
 *   MDORDER, $PAN (digits), $CVC, MM (2 digits), YYYY (4 digits), TEXT, language[, email]
 *   [, bindingNotNeeded=true when the "save card" box is unticked]
 * or, with a saved card chosen: MDORDER, bindingId, $CVC, language[, email]
 * and handle the JSON answer (errorCode is a string, absent means "0"):
 *   errorCode "0" + acsUrl/paReq/termUrl -> POST PaReq, MD, TermUrl to acsUrl (3-D Secure 1)
 *   errorCode "0" + is3DSVer2 + threeDSMethodURL -> POST threeDSMethodData to it in a hidden
 *       frame, then POST mdOrder to config.continueUrl (3ds/continue.do) and handle that answer
 *   errorCode "0" + is3DSVer2 + acsUrl/packedCReq -> POST creq to acsUrl (3-D Secure 2 challenge)
 *   errorCode "0" + redirect             -> show info, location.assign(redirect)
 *   errorCode "0" + displayErrorMessage  -> declined attempt: top message, clear CVC, re-enable
 *   errorCode != "0"                     -> errorMessage at `field` (or at the top), re-enable
 */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return {};
    try { return JSON.parse(el.textContent || "{}") || {}; } catch (e) { return {}; }
  }

  var T = readJson("i18n");
  var CFG = readJson("payment-config");
  var form = document.getElementById("pay-form");
  if (!form) return;

  function t(key, vars) {
    var s = Object.prototype.hasOwnProperty.call(T, key) ? String(T[key]) : key;
    if (vars) {
      Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(vars[k]); });
    }
    return s;
  }

  var els = {
    fields: document.getElementById("pay-fields"),
    pan: document.getElementById("pan"),
    brand: document.getElementById("pan-brand"),
    expiry: document.getElementById("expiry"),
    cvc: document.getElementById("cvc"),
    cvcHint: document.getElementById("cvc-hint"),
    holder: document.getElementById("cardholder"),
    email: document.getElementById("email"),
    button: document.getElementById("pay-button"),
    buttonLabel: document.getElementById("pay-label"),
    alert: document.getElementById("form-alert"),
    alertText: document.getElementById("form-alert-text"),
    status: document.getElementById("form-status"),
    statusText: document.getElementById("form-status-text"),
    expired: document.getElementById("expired-panel"),
    timer: document.getElementById("timer"),
    timerText: document.getElementById("timer-text")
  };

  var FIELD_INPUT = { pan: els.pan, expiry: els.expiry, cvc: els.cvc, cardholder: els.holder, email: els.email };
  var savedRadios = Array.prototype.slice.call(document.querySelectorAll('input[name="saved-card"]'));
  var saveBox = document.getElementById("save-card");
  var NEW_CARD_FIELDS = { pan: true, expiry: true, cardholder: true };

  /* ------------------------------------------------------------------ saved cards */
  function chosenSaved() {
    for (var i = 0; i < savedRadios.length; i++) {
      if (savedRadios[i].checked && savedRadios[i].value) return savedRadios[i];
    }
    return null;
  }
  function applyChoice() {
    var saved = chosenSaved();
    Array.prototype.forEach.call(document.querySelectorAll(".new-card-only"), function (el) {
      el.hidden = !!saved;
    });
    if (saved) {
      Object.keys(NEW_CARD_FIELDS).forEach(function (name) { setFieldError(name, ""); });
      els.cvcHint.textContent = t("saved_card_cvc", { pan: saved.getAttribute("data-pan") || "" });
      els.cvc.maxLength = parseInt(saved.getAttribute("data-cvc-length") || "3", 10);
    } else {
      updateBrand();
    }
  }
  savedRadios.forEach(function (radio) {
    radio.addEventListener("change", function () { applyChoice(); els.cvc.value = ""; });
  });
  var submitting = false;
  var expired = false;

  /* ------------------------------------------------------------------ card brands */
  var BRANDS = [
    { id: "amex", name: "AMEX", re: /^3[47]/, lengths: [15], gaps: [4, 10], cvc: 4 },
    { id: "mir", name: "MIR", re: /^220[0-4]/, lengths: [16, 17, 18, 19], gaps: [4, 8, 12, 16], cvc: 3 },
    { id: "mastercard", name: "Mastercard", re: /^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16], gaps: [4, 8, 12, 16], cvc: 3 },
    { id: "visa", name: "VISA", re: /^4/, lengths: [13, 16, 19], gaps: [4, 8, 12, 16], cvc: 3 },
    { id: "unionpay", name: "UnionPay", re: /^62/, lengths: [16, 17, 18, 19], gaps: [4, 8, 12, 16], cvc: 3 },
    { id: "jcb", name: "JCB", re: /^35(2[89]|[3-8]\d)/, lengths: [16, 17, 18, 19], gaps: [4, 8, 12, 16], cvc: 3 },
    { id: "diners", name: "Diners Club", re: /^(30[0-5]|309|36|3[89])/, lengths: [14, 15, 16, 17, 18, 19], gaps: [4, 10], cvc: 3 },
    { id: "discover", name: "Discover", re: /^(6011|64[4-9]|65)/, lengths: [16, 17, 18, 19], gaps: [4, 8, 12, 16], cvc: 3 },
    { id: "maestro", name: "Maestro", re: /^(5[06-9]|6)/, lengths: [12, 13, 14, 15, 16, 17, 18, 19], gaps: [4, 8, 12, 16], cvc: 3 }
  ];
  var UNKNOWN = { id: "", name: "", lengths: [12, 13, 14, 15, 16, 17, 18, 19], gaps: [4, 8, 12, 16], cvc: 3 };

  function detectBrand(digits) {
    for (var i = 0; i < BRANDS.length; i++) if (BRANDS[i].re.test(digits)) return BRANDS[i];
    return UNKNOWN;
  }
  function maxLen(brand) { return brand.lengths[brand.lengths.length - 1]; }
  function onlyDigits(s) { return String(s || "").replace(/\D+/g, ""); }

  function formatPan(digits, brand) {
    var out = "";
    for (var i = 0; i < digits.length; i++) {
      if (brand.gaps.indexOf(i) !== -1) out += " ";
      out += digits.charAt(i);
    }
    return out;
  }

  function luhn(digits) {
    var sum = 0, dbl = false;
    for (var i = digits.length - 1; i >= 0; i--) {
      var d = digits.charCodeAt(i) - 48;
      if (dbl) { d *= 2; if (d > 9) d -= 9; }
      sum += d; dbl = !dbl;
    }
    return digits.length > 0 && sum % 10 === 0;
  }

  /* Re-format an input while keeping the caret after the same number of digits. */
  function reformat(input, formatter) {
    var value = input.value;
    var caret = input.selectionStart == null ? value.length : input.selectionStart;
    var digitsBefore = onlyDigits(value.slice(0, caret)).length;
    var next = formatter(value);
    if (next === value) return;
    input.value = next;
    if (document.activeElement !== input) return;
    var pos = 0, seen = 0;
    while (pos < next.length && seen < digitsBefore) {
      if (/\d/.test(next.charAt(pos))) seen++;
      pos++;
    }
    if (pos < next.length && next.charAt(pos) === "/" && seen === 2) pos++;
    try { input.setSelectionRange(pos, pos); } catch (e) { /* type=email etc. */ }
  }

  function currentBrand() { return detectBrand(onlyDigits(els.pan.value)); }

  function updateBrand() {
    var brand = currentBrand();
    if (brand.id) {
      els.brand.textContent = brand.name;
      els.brand.setAttribute("data-brand", brand.id);
      els.brand.hidden = false;
    } else {
      els.brand.textContent = "";
      els.brand.removeAttribute("data-brand");
      els.brand.hidden = true;
    }
    els.cvc.maxLength = brand.cvc;
    els.cvc.placeholder = brand.cvc === 4 ? "••••" : "•••";
    if (els.cvcHint) els.cvcHint.textContent = brand.cvc === 4 ? t("cvc_hint_amex") : t("cvc_hint");
    if (els.cvc.value.length > brand.cvc) els.cvc.value = els.cvc.value.slice(0, brand.cvc);
  }

  /* ------------------------------------------------------------------ errors */
  function setFieldError(name, message) {
    var input = FIELD_INPUT[name];
    var box = document.getElementById((name === "cardholder" ? "cardholder" : name) + "-error");
    if (!input || !box) return false;
    box.textContent = message || "";
    input.setAttribute("aria-invalid", message ? "true" : "false");
    return true;
  }
  function showAlert(message) {
    els.alertText.textContent = message;
    els.alert.hidden = !message;
  }
  function showStatus(message) {
    els.statusText.textContent = message || "";
    els.status.hidden = !message;
  }

  /* ------------------------------------------------------------------ validators (return "" when valid) */
  function checkPan() {
    var digits = onlyDigits(els.pan.value);
    var brand = detectBrand(digits);
    if (!digits) return t("err_pan_required");
    if (digits.length < brand.lengths[0]) return t("err_pan_incomplete");
    if (brand.lengths.indexOf(digits.length) === -1 && brand !== UNKNOWN) {
      return digits.length < maxLen(brand) ? t("err_pan_incomplete") : t("err_pan_invalid");
    }
    if (!luhn(digits)) return t("err_pan_invalid");
    return "";
  }

  function parseExpiry() {
    var m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(els.expiry.value);
    if (!m) {
      var d = onlyDigits(els.expiry.value);
      if (d.length === 4) m = [d, d.slice(0, 2), d.slice(2)];
      else return null;
    }
    var month = parseInt(m[1], 10);
    var year = m[2].length === 2 ? 2000 + parseInt(m[2], 10) : parseInt(m[2], 10);
    if (!(month >= 1 && month <= 12)) return null;
    return { month: month, year: year };
  }
  function checkExpiry() {
    var e = parseExpiry();
    if (!e) return t("err_expiry_format");
    var now = new Date();
    var cur = now.getFullYear() * 12 + now.getMonth();
    var exp = e.year * 12 + (e.month - 1);
    if (exp < cur) return t("err_expiry_past");
    if (exp > cur + 12 * 30) return t("err_expiry_format");
    return "";
  }

  function checkCvc() {
    var saved = chosenSaved();
    var need = saved ? parseInt(saved.getAttribute("data-cvc-length") || "3", 10) : currentBrand().cvc;
    var d = els.cvc.value;
    if (!/^\d+$/.test(d) || d.length !== need) return need === 4 ? t("err_cvc_amex") : t("err_cvc");
    return "";
  }

  function cleanHolder(v) { return String(v || "").replace(/\s+/g, " ").trim().toUpperCase(); }
  function checkHolder() {
    var v = cleanHolder(els.holder.value);
    if (!v) return t("err_cardholder");
    if (/[^A-Z .'\-]/.test(v)) return t("err_cardholder_latin");
    if (!/[A-Z]{2,}/.test(v.replace(/[ .'\-]/g, ""))) return t("err_cardholder");
    return "";
  }

  function checkEmail() {
    if (!els.email) return "";
    var v = els.email.value.trim();
    if (!v) return "";
    return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? "" : t("err_email");
  }

  var CHECKS = { pan: checkPan, expiry: checkExpiry, cvc: checkCvc, cardholder: checkHolder, email: checkEmail };

  /* ------------------------------------------------------------------ input handlers */
  els.pan.addEventListener("input", function () {
    reformat(els.pan, function (v) {
      var digits = onlyDigits(v);
      var brand = detectBrand(digits);
      return formatPan(digits.slice(0, maxLen(brand)), brand);
    });
    updateBrand();
    if (els.pan.getAttribute("aria-invalid") === "true") setFieldError("pan", "");
    var digits = onlyDigits(els.pan.value);
    var brand = detectBrand(digits);
    // move on at the brand's longest length, or at the usual 16 digits once the number checks
    var complete = digits.length === maxLen(brand) ||
      (digits.length === 16 && brand.lengths.indexOf(16) !== -1 && luhn(digits));
    if (complete && !checkPan() && document.activeElement === els.pan) els.expiry.focus();
  });

  els.expiry.addEventListener("input", function (ev) {
    var deleting = ev && ev.inputType && ev.inputType.indexOf("delete") === 0;
    reformat(els.expiry, function (v) {
      var d = onlyDigits(v);
      if (d.length === 6 && /^(0[1-9]|1[0-2])20\d\d$/.test(d)) d = d.slice(0, 2) + d.slice(4); // MM/YYYY autofill
      d = d.slice(0, 4);
      if (d.length === 1 && /[2-9]/.test(d) && !deleting) d = "0" + d;
      if (d.length >= 3) return d.slice(0, 2) + "/" + d.slice(2);
      if (d.length === 2 && !deleting) return d + "/";
      return d;
    });
    if (els.expiry.getAttribute("aria-invalid") === "true") setFieldError("expiry", "");
    if (onlyDigits(els.expiry.value).length === 4 && !checkExpiry() && document.activeElement === els.expiry) els.cvc.focus();
  });

  els.cvc.addEventListener("input", function () {
    var max = currentBrand().cvc;
    var d = onlyDigits(els.cvc.value).slice(0, max);
    if (d !== els.cvc.value) els.cvc.value = d;
    if (els.cvc.getAttribute("aria-invalid") === "true") setFieldError("cvc", "");
  });

  els.holder.addEventListener("input", function () {
    var start = els.holder.selectionStart;
    var up = els.holder.value.toUpperCase();
    if (up !== els.holder.value) {
      els.holder.value = up;
      try { els.holder.setSelectionRange(start, start); } catch (e) { /* ignore */ }
    }
    var latinProblem = /[^A-Za-z .'\-]/.test(els.holder.value);
    setFieldError("cardholder", latinProblem ? t("err_cardholder_latin") : "");
  });

  if (els.email) {
    els.email.addEventListener("input", function () {
      if (els.email.getAttribute("aria-invalid") === "true") setFieldError("email", "");
    });
  }

  Object.keys(FIELD_INPUT).forEach(function (name) {
    var input = FIELD_INPUT[name];
    if (!input) return;
    input.addEventListener("blur", function () {
      if (submitting || expired) return;
      if (name === "cardholder") input.value = cleanHolder(input.value);
      if (!input.value && name !== "email") { setFieldError(name, ""); return; } // don't nag on empty tab-through
      setFieldError(name, CHECKS[name]());
    });
  });

  /* ------------------------------------------------------------------ busy state */
  function setBusy(busy, labelKey) {
    submitting = busy;
    els.fields.disabled = busy || expired;
    els.button.disabled = busy || expired;
    els.button.setAttribute("aria-busy", busy ? "true" : "false");
    els.buttonLabel.textContent = busy ? t(labelKey || "processing") : t("pay_button", { amount: CFG.amountFormatted || "" });
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  /* ------------------------------------------------------------------ countdown */
  var skew = typeof CFG.nowMs === "number" ? CFG.nowMs - Date.now() : 0;
  var timerId = null;
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function formatLeft(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + ":" + pad(m) + ":" + pad(sec) : pad(m) + ":" + pad(sec);
  }
  function expire() {
    expired = true;
    if (timerId) clearInterval(timerId);
    els.timer.classList.add("is-over");
    els.timerText.textContent = t("time_left", { time: "00:00" });
    els.fields.disabled = true;
    els.button.disabled = true;
    showAlert("");
    showStatus("");
    els.expired.hidden = false;
  }
  function tick() {
    if (typeof CFG.expiresAtMs !== "number") { els.timer.hidden = true; return; }
    var left = CFG.expiresAtMs - (Date.now() + skew);
    if (left <= 0) { if (!submitting) expire(); else els.timerText.textContent = t("time_left", { time: "00:00" }); return; }
    els.timerText.textContent = t("time_left", { time: formatLeft(left) });
    els.timer.classList.toggle("is-low", left < 60000);
  }
  tick();
  if (!expired && typeof CFG.expiresAtMs === "number") timerId = setInterval(tick, 1000);

  /* ------------------------------------------------------------------ submission */
  function safeUrl(u) {
    try {
      var url = new URL(String(u), window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) { return null; }
  }

  function postTo3ds(data) {
    var url = safeUrl(data.acsUrl);
    if (!url) { setBusy(false); showAlert(t("err_generic")); return; }
    showStatus(t("redirect_3ds"));
    var f = document.createElement("form");
    f.method = "post";
    f.action = url;
    f.hidden = true;
    [["PaReq", data.paReq], ["MD", CFG.orderId], ["TermUrl", data.termUrl]].forEach(function (p) {
      var i = document.createElement("input");
      i.type = "hidden"; i.name = p[0]; i.value = p[1] == null ? "" : String(p[1]);
      f.appendChild(i);
    });
    document.body.appendChild(f);
    f.submit();
  }

  function postForm(action, fields, target) {
    var f = document.createElement("form");
    f.method = "post";
    f.action = action;
    f.hidden = true;
    if (target) f.target = target;
    fields.forEach(function (p) {
      var i = document.createElement("input");
      i.type = "hidden"; i.name = p[0]; i.value = p[1] == null ? "" : String(p[1]);
      f.appendChild(i);
    });
    document.body.appendChild(f);
    f.submit();
    return f;
  }

  /* 3-D Secure 2: the method step in a hidden frame (at most 10 s, as the protocol allows),
     then the gateway continues: frictionless -> redirect, or a challenge -> the ACS page. */
  function runMethodStep(data) {
    var url = safeUrl(data.threeDSMethodURL);
    showStatus(t("checking_3ds"));
    var done = false;
    function proceed(completed) {
      if (done) return;
      done = true;
      continueThreeDS2(completed ? "Y" : "N");
    }
    if (!url) { proceed(false); return; }
    var frame = document.createElement("iframe");
    frame.name = "threeds-method";
    frame.hidden = true;
    frame.title = "3-D Secure";
    document.body.appendChild(frame);
    postForm(url, [["threeDSMethodData", data.threeDSMethodDataPacked]], "threeds-method");
    // listened to only now: the blank frame's own load must not count as the method's
    frame.addEventListener("load", function () { proceed(true); });
    setTimeout(function () { proceed(false); }, 10000);
  }

  function continueThreeDS2(completed) {
    var body = new URLSearchParams();
    body.append("mdOrder", CFG.orderId || "");
    body.append("threeDSCompInd", completed);
    body.append("language", CFG.lang || document.documentElement.lang || "en");
    fetch(CFG.continueUrl || "/payment/rest/3ds/continue.do", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "Accept": "application/json" },
      body: body.toString(),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (resp) {
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    }).then(handleAnswer).catch(function () {
      // the order's state decides what the buyer sees next
      window.location.reload();
    });
  }

  function postChallenge(data) {
    var url = safeUrl(data.acsUrl);
    if (!url) { setBusy(false); showAlert(t("err_generic")); return; }
    showStatus(t("redirect_3ds"));
    postForm(url, [["creq", data.packedCReq]]);
  }

  function focusAlert() {
    if (els.alert.hidden) return;
    els.alert.focus({ preventScroll: true });
    els.alert.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function handleAnswer(data) {
    if (!data || typeof data !== "object") throw new Error("bad answer");
    var code = data.errorCode == null || data.errorCode === "" ? "0" : String(data.errorCode);
    if (code !== "0") {
      setBusy(false);
      var msg = data.errorMessage || data.displayErrorMessage || data.error || t("err_generic");
      if (data.field && setFieldError(String(data.field), msg)) {
        FIELD_INPUT[String(data.field)].focus();
      } else {
        showAlert(msg);
        focusAlert();
      }
      return;
    }
    if (data.is3DSVer2 && data.threeDSMethodURL) { runMethodStep(data); return; }
    if (data.is3DSVer2 && data.packedCReq) { postChallenge(data); return; }
    if (data.acsUrl) { postTo3ds(data); return; }
    if (data.redirect) {
      var url = safeUrl(data.redirect);
      if (!url) { setBusy(false); showAlert(t("err_generic")); return; }
      showStatus(data.info || t("redirecting"));
      setTimeout(function () { window.location.assign(url); }, 700);
      return;
    }
    if (data.displayErrorMessage) {
      setBusy(false);
      els.cvc.value = "";
      showAlert(String(data.displayErrorMessage));
      focusAlert();
      return;
    }
    // Accepted but nothing to do here: let the server show the order's current state.
    window.location.reload();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (submitting || expired) return;
    showAlert("");
    // normalise what autofill/paste left behind before validating
    els.holder.value = cleanHolder(els.holder.value);
    var firstBad = null;
    var saved = chosenSaved();
    Object.keys(CHECKS).forEach(function (name) {
      if (!FIELD_INPUT[name]) return;
      if (saved && NEW_CARD_FIELDS[name]) return;
      var err = CHECKS[name]();
      setFieldError(name, err);
      if (err && !firstBad) firstBad = FIELD_INPUT[name];
    });
    if (firstBad) { firstBad.focus(); return; }

    var body = new URLSearchParams();
    body.append("MDORDER", CFG.orderId || "");
    if (saved) {
      body.append("bindingId", saved.value);
      body.append("$CVC", els.cvc.value);
    } else {
      var exp = parseExpiry();
      body.append("$PAN", onlyDigits(els.pan.value));
      body.append("$CVC", els.cvc.value);
      body.append("MM", pad(exp.month));
      body.append("YYYY", String(exp.year));
      body.append("TEXT", els.holder.value);
      if (saveBox && !saveBox.checked) body.append("bindingNotNeeded", "true");
    }
    body.append("language", CFG.lang || document.documentElement.lang || "en");
    if (els.email) body.append("email", els.email.value.trim());

    setBusy(true);
    var ctrl = typeof AbortController === "function" ? new AbortController() : null;
    var timeout = setTimeout(function () { if (ctrl) ctrl.abort(); }, 90000);
    fetch(CFG.processUrl || form.action, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "Accept": "application/json" },
      body: body.toString(),
      credentials: "same-origin",
      cache: "no-store",
      redirect: "follow",
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (resp) {
      clearTimeout(timeout);
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.json();
    }).then(handleAnswer).catch(function () {
      clearTimeout(timeout);
      setBusy(false);
      if (expired) { expire(); return; }
      showAlert(t("err_network"));
      focusAlert();
    });
  });

  // Prefilled/autofilled values: format them once on load.
  if (els.pan.value) els.pan.dispatchEvent(new Event("input"));
  if (els.holder.value) els.holder.value = cleanHolder(els.holder.value);
  updateBrand();
  if (savedRadios.length) applyChoice();
})();
