// CMS-HCC risk adjustment on the review page: a badge on each suggested code that maps to a payment HCC.
// The categories come with the suggestion (the engine's `hcc` field: CMS-HCC V28, payment year 2026).

export const HCC_MODEL = "CMS-HCC V28, payment year 2026";

// A <span class="badge hcc"> naming the code's HCCs ("HCC 37"), or null for a code that maps to none (most
// codes, and suggestions stored before risk adjustment, which carry no `hcc` field).
export function hccBadge(suggestion) {
  const categories = Array.isArray(suggestion.hcc) ? suggestion.hcc : [];
  if (!categories.length) return null;
  const badge = document.createElement("span");
  badge.className = "badge hcc";
  badge.textContent = categories.map((category) => `HCC ${category.hcc}`).join(" · ");
  const described = categories.map((category) => `HCC ${category.hcc}: ${category.label}`).join("; ");
  badge.title = `${HCC_MODEL}. ${described}. Rejecting this code counts as a missed HCC in the dashboard.`;
  badge.setAttribute("aria-label", `Risk adjustment ${described}`);
  return badge;
}
