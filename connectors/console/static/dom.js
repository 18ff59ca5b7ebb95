/* DOM helpers shared by the console pages (工作台, 坐席助手). Text from the server goes in
 * with textContent, never as HTML. */
var daobanDom = (function () {
  "use strict";
  function byId(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  return { byId: byId, el: el };
}());
