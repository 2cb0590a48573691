// Saving a file from the page: a Blob behind a temporary link. One home for
// the contact sheet, the labels CSV and the LMD selection.

export function downloadBlob(blob: Blob, name: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // the download has started from the URL; a minute covers a slow save dialog
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
