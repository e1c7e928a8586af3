// Ticks each "pays in" cell once every 20 s from its data-deadline; the page works without it.
(function () {
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (cell) {
      var minutes = Math.floor((Date.parse(cell.dataset.deadline) - now) / 60000);
      if (isNaN(minutes)) return;
      if (minutes >= 0) {
        cell.textContent = minutes < 120 ? minutes + " min left" : Math.floor(minutes / 60) + " h " + (minutes % 60) + " min left";
        cell.classList.remove("late");
      } else {
        var late = -minutes;
        cell.textContent = late < 120 ? late + " min past" : Math.floor(late / 60) + " h past";
        cell.classList.add("late");
      }
    });
  }
  setInterval(tick, 20000);
})();
