/* dkfi — helpers the acquisition pages share (window.dkfiAcq): those of every page (pages.js); the name stays so
 * the acquisition scripts read as before. */
window.dkfiAcq = window.dkfiPages;
