// Placeholder page: server readiness in French (default) or English. No dependencies, no inline code (CSP).
const texts = {
  fr: {
    title: "Messagerie sécurisée",
    intro: "Messagerie chiffrée de bout en bout pour les cabinets médicaux.",
    checking: "Vérification du serveur…",
    ready: "Le serveur est prêt.",
    down: "Le serveur ne répond pas.",
    soon: "L’application web arrive bientôt. En attendant, utilisez le client en ligne de commande.",
    switch: "English",
  },
  en: {
    title: "Secure messaging",
    intro: "End-to-end encrypted messaging for medical practices.",
    checking: "Checking the server…",
    ready: "The server is ready.",
    down: "The server does not answer.",
    soon: "The web application is coming soon. Meanwhile, use the command-line client.",
    switch: "Français",
  },
};

const requested = new URLSearchParams(location.search).get("lang");
let language = requested in texts ? requested : localStorage.getItem("lang") in texts ? localStorage.getItem("lang") : "fr";
let state = "checking";

function render() {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    const key = element.id === "status" ? state : element.dataset.i18n;
    element.textContent = texts[language][key];
  }
  document.title = texts[language].title;
}

async function check() {
  try {
    const response = await fetch("/health/ready", { cache: "no-store" });
    state = response.ok ? "ready" : "down";
  } catch {
    state = "down";
  }
  document.getElementById("status").dataset.state = state;
  render();
}

document.getElementById("language").addEventListener("click", () => {
  language = language === "fr" ? "en" : "fr";
  localStorage.setItem("lang", language);
  render();
});

render();
check();
