// Admin page: add a door device, show its pairing link as a QR code, list and revoke devices.
"use strict";

(() => {
  const { call, when, cell, t } = window.adminApi;
  const $ = (id) => document.getElementById(id);

  // The API's statuses (language-free codes), as the admin reads them.
  const STATUS = { UNPAIRED: t("not paired yet"), PAIRED: t("paired"), REVOKED: t("revoked") };

  async function refresh() {
    try {
      const list = await call("GET", "/api/admin/devices");
      $("devices").replaceChildren(...list.items.map(row));
    } catch (error) {
      $("devices").replaceChildren();
    }
  }

  function row(device) {
    const tr = document.createElement("tr");
    tr.dataset.deviceId = device.deviceId;
    const action = document.createElement("td");
    if (device.status !== "REVOKED") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "quiet";
      button.textContent = t("Revoke");
      button.setAttribute("aria-label", t("Revoke {name}", { name: device.name }));
      button.addEventListener("click", async () => {
        await call("POST", "/api/admin/devices/" + device.deviceId + "/revoke");
        refresh();
      });
      action.append(button);
    }
    tr.append(
      cell(device.name),
      cell(device.periodCode || t("any")),
      cell(STATUS[device.status] || device.status.toLowerCase(), "status-" + device.status),
      cell(when(device.lastSeenAt)),
      action,
    );
    return tr;
  }

  $("add").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("add-error").hidden = true;
    try {
      const body = { name: $("name").value.trim() };
      if ($("period").value.trim()) body.periodCode = $("period").value.trim();
      const added = await call("POST", "/api/admin/devices", body);
      $("pairing-qr").src = added.pairingQr;
      $("pairing-url").href = added.pairingUrl;
      $("pairing-url").textContent = added.pairingUrl;
      $("pairing-expires").textContent = when(added.pairingExpiresAt);
      $("pairing").hidden = false;
      refresh();
    } catch (error) {
      $("add-error").textContent = String(error.message || error);
      $("add-error").hidden = false;
    }
  });
  refresh();
  setInterval(refresh, 15000);
})();
