// Ticks each "pays in" cell every 20 s. data-deadline is an instant (epoch ms) the server computed
// in the store's zone, and <html data-now> the server's clock when it rendered the page: counting
// against the server's clock (this browser's offset from it taken off) makes neither the
// browser's zone nor its clock matter. The page works without it.
(function () {
  var served = Number(document.documentElement.dataset.now);
  var skew = served > 0 ? served - Date.now() : 0;
  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("[data-deadline]").forEach(function (cell) {
      var deadline = Number(cell.dataset.deadline);
      if (!(deadline > 0)) return;
      var minutes = Math.floor((deadline - now) / 60000);
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
  tick();
  setInterval(tick, 20000);
})();
