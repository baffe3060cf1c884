'use strict';
// select2 shows the choice in a span with role="textbox" and no name: an empty row of a tabular inline has
// no <label> and its column header does not name it (axe-core's aria-input-field-name). Name each box after
// its field (the <select>'s aria-label or placeholder), after Django's autocomplete.js has built it.
{
    const nameBoxes = (root) => {
        for (const select of root.querySelectorAll('select.admin-autocomplete')) {
            const container = select.nextElementSibling;
            const box = container && container.querySelector('.select2-selection__rendered');
            const name = select.getAttribute('aria-label') || select.dataset.placeholder;
            if (box && name) {
                box.setAttribute('aria-label', name);
            }
        }
    };
    // jQuery's ready, as autocomplete.js uses: its handlers run in order, so select2 is built by then.
    window.django.jQuery(() => nameBoxes(document));
    document.addEventListener('formset:added', (event) => nameBoxes(event.target));
}
