// Admin page: a period's attendance on a day, refreshed every 10 seconds (today: live).
"use strict";

(() => {
  const { call, cell, t, LANG } = window.adminApi;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  if (params.get("period")) $("period").value = params.get("period");
  if (params.get("date")) $("date").value = params.get("date");

  async function refresh() {
    const period = $("period").value.trim();
    if (!period) return;
    const day = $("date").value;
    const query = day ? "?date=" + encodeURIComponent(day) : "";
    try {
      const found = await call("GET", "/api/admin/periods/" + encodeURIComponent(period) + "/attendance" + query);
      $("error").hidden = true;
      $("total").textContent = String(found.total);
      $("by-track").replaceChildren(...Object.entries(found.byTrack).map(([track, count]) => {
        const li = document.createElement("li");
        li.textContent = track + ": " + count;
        return li;
      }));
      $("persons").replaceChildren(...found.persons.map((p) => {
        const tr = document.createElement("tr");
        const time = new Date(p.checkedInAt).toLocaleTimeString(LANG, { timeStyle: "short" });
        tr.append(cell(time), cell(p.name), cell(p.tracks.join(", ")), cell(p.manual ? t("by name") : (p.deviceId || "").slice(0, 8)));
        return tr;
      }));
      showClasses(found);
      $("csv").hidden = false;
    } catch (error) {
      $("error").textContent = String(error.message || error);
      $("error").hidden = false;
    }
  }

  // With a schedule: the day's classes, how many came of those registered, and who did not.
  function showClasses(found) {
    $("classes-card").hidden = found.classes.length === 0;
    $("classes").replaceChildren(...found.classes.map((c) => {
      const tr = document.createElement("tr");
      tr.append(cell(c.trackCode), cell(c.startTime + "–" + c.endTime), cell(String(c.present)), cell(String(c.expected)));
      return tr;
    }));
    $("absent").replaceChildren(...found.absent.map((a) => {
      const li = document.createElement("li");
      li.textContent = a.name + " (" + a.tracks.join(", ") + ")";
      return li;
    }));
    $("none-absent").hidden = found.absent.length > 0;
  }

  // The CSV needs the bearer token too: fetched, then handed to the browser as a file.
  $("csv").addEventListener("click", async (event) => {
    event.preventDefault();
    const period = $("period").value.trim();
    const response = await fetch("/api/admin/periods/" + encodeURIComponent(period) + "/attendance.csv", {
      headers: { Authorization: "Bearer " + (sessionStorage.getItem("admin.bearer") || "") },
    });
    if (!response.ok) return;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = "attendance-" + period + ".csv";
    link.click();
  });
  $("pick").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  refresh();
  setInterval(refresh, 10000);
})();
