// Starts the interactive API docs. A file of its own rather than an inline script, so the page's
// Content-Security-Policy can forbid inline script everywhere.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/schema/openapi.json",
    dom_id: "#swagger-container",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
