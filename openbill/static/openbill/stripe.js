// Stripe.js on Openbill's card pages: the card form is Stripe's (the number never reaches
// Openbill); the page posts back only the SetupIntent's id. 3-D Secure runs in Stripe.js, and
// Openbill then asks Stripe how it ended.
(function () {
  "use strict";
  var form = document.getElementById("stripe-card-form");
  if (form) {
    var stripe = Stripe(form.dataset.key);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errors.textContent = "";
      stripe.confirmCardSetup(form.dataset.secret, { payment_method: { card: card } }).then(function (result) {
        if (result.error) {
          errors.textContent = result.error.message || String(result.error);
          return;
        }
        form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
        form.submit();
      });
    });
  }
  var auth = document.getElementById("stripe-authenticate");
  if (auth) {
    var stripe2 = Stripe(auth.dataset.key);
    document.getElementById("stripe-authenticate-button").addEventListener("click", function () {
      var data = auth.dataset.method ? { payment_method: auth.dataset.method } : undefined;
      stripe2.confirmCardPayment(auth.dataset.secret, data).then(function () {
        window.location.assign(auth.dataset.next);
      });
    });
  }
})();
