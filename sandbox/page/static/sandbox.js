// The sandbox page: a chat pane that talks to the bot through the server's /sandbox/* routes.
"use strict";
(function () {
  // chatId: a Telegram chat id, or "whatsapp" for the person's WhatsApp conversation.
  const state = { userId: null, personId: null, chatId: null, signature: "", timer: null, replyTo: null };
  const onWhatsApp = () => state.chatId === "whatsapp";
  const chatUrl = () =>
    onWhatsApp() ? "/sandbox/whatsapp/" + state.personId : "/sandbox/chats/" + state.chatId;
  const $ = (id) => document.getElementById(id);

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(await response.text());
    return response.json();
  }

  function renderMessage(message) {
    const item = document.createElement("li");
    const mine = !message.from_bot && message.sender_id === state.userId;
    item.className = "msg " + (message.from_bot ? "bot" : mine ? "me" : "other");
    item.dataset.seq = message.seq;
    for (const media of message.media || []) {
      if (media.kind === "photo") {
        const image = document.createElement("img");
        image.src = "/sandbox/files/" + encodeURIComponent(media.file_id);
        image.alt = "";
        item.appendChild(image);
      } else {
        const link = document.createElement("a");
        link.href = "/sandbox/files/" + encodeURIComponent(media.file_id);
        link.textContent = "📄 " + (media.file_name || media.kind);
        link.target = "_blank";
        item.appendChild(link);
      }
    }
    const words = message.text || message.caption;
    if (words) {
      const text = document.createElement("div");
      text.className = "text";
      text.textContent = words;
      item.appendChild(text);
    }
    if (message.message && message.message.contact) {
      item.appendChild(document.createTextNode("📞 " + message.message.contact.phone_number));
    }
    if (message.from_bot && !onWhatsApp() && state.chatId === state.userId) {
      // Telegram's "Reply": the next message answers this one (a thread's message goes to its thread).
      const reply = document.createElement("button");
      reply.type = "button";
      reply.className = "reply";
      reply.textContent = "↩";
      reply.title = $("replying").dataset.label;
      reply.addEventListener("click", () => replyTo(message));
      item.appendChild(reply);
    }
    const rows = (message.reply_markup && message.reply_markup.inline_keyboard) || [];
    if (rows.length) {
      const keyboard = document.createElement("div");
      keyboard.className = "keyboard";
      for (const row of rows) {
        const line = document.createElement("div");
        for (const button of row) {
          const press = document.createElement("button");
          press.type = "button";
          press.textContent = button.text;
          press.dataset.callback = button.callback_data || "";
          press.addEventListener("click", () =>
            post("/sandbox/press", { user_id: state.userId, message_id: message.message_id, data: button.callback_data })
              .then(refresh)
          );
          line.appendChild(press);
        }
        keyboard.appendChild(line);
      }
      item.appendChild(keyboard);
    }
    if (message.whatsapp) item.appendChild(whatsappChoices(message.whatsapp));
    return item;
  }

  // WhatsApp's quick-reply buttons under the message, or its list behind one button; a tap goes
  // through the Twilio emulator as WhatsApp's would (ButtonPayload / ListId).
  function whatsappChoices(shown) {
    const tap = (option) =>
      post("/sandbox/whatsapp/" + state.personId + "/tap", { sid: shown.sid, id: option.id }).then(refresh);
    const box = document.createElement("div");
    box.className = "keyboard wa-" + (shown.type === "twilio/list-picker" ? "list" : "buttons");
    const line = document.createElement("div");
    box.appendChild(line);
    if (shown.type !== "twilio/list-picker") {
      for (const option of shown.options) {
        const press = document.createElement("button");
        press.type = "button";
        press.textContent = option.title;
        press.addEventListener("click", () => tap(option));
        line.appendChild(press);
      }
      return box;
    }
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "☰ " + shown.button;
    const items = document.createElement("ul");
    items.hidden = true;
    open.addEventListener("click", () => (items.hidden = !items.hidden));
    line.appendChild(open);
    for (const option of shown.options) {
      const entry = document.createElement("li");
      const pick = document.createElement("button");
      pick.type = "button";
      pick.textContent = option.title;
      if (option.description) {
        const more = document.createElement("small");
        more.textContent = option.description;
        pick.appendChild(more);
      }
      pick.addEventListener("click", () => tap(option));
      entry.appendChild(pick);
      items.appendChild(entry);
    }
    box.appendChild(items);
    return box;
  }

  function replyTo(message) {
    state.replyTo = message ? message.message_id : null;
    const bar = $("replying");
    bar.hidden = !message;
    $("replying-text").textContent = message ? (message.text || message.caption || "").slice(0, 80) : "";
    if (message) $("text").focus();
  }

  async function refresh() {
    if (state.chatId === null) return;
    const url = chatUrl();
    const response = await fetch(url);
    if (!response.ok) return;
    const messages = (await response.json()).messages;
    if (url !== chatUrl()) return; // another chat was chosen meanwhile
    const signature = messages.map((m) => m.seq).join(",");
    if (signature === state.signature) return;
    const list = $("messages");
    if (state.signature && signature.startsWith(state.signature + ",")) {
      // Only new messages: append them, so a button being pressed is never replaced under the pointer.
      list.append(...messages.slice(list.children.length).map(renderMessage));
    } else {
      list.replaceChildren(...messages.map(renderMessage));
    }
    state.signature = signature;
    list.scrollTop = list.scrollHeight;
    const last = [...messages].reverse().find((m) => m.from_bot);
    const contactAsked = Boolean(last && last.reply_markup && last.reply_markup.keyboard);
    $("share-phone").hidden = !(contactAsked && state.chatId === state.userId);
  }

  function showChat(chatId) {
    replyTo(null);
    state.chatId = chatId;
    state.signature = "";
    $("messages").replaceChildren();
    refresh();
  }

  async function openPerson(button) {
    document.querySelectorAll(".person[aria-pressed]").forEach((b) => b.removeAttribute("aria-pressed"));
    button.setAttribute("aria-pressed", "true");
    const opened = await post("/sandbox/open", { person_id: Number(button.dataset.person) });
    state.userId = opened.user_id;
    state.personId = Number(button.dataset.person);
    $("who").textContent = button.dataset.name;
    $("composer").hidden = false;
    const select = $("chat-select");
    select.hidden = false;
    for (const option of select.options) {
      option.hidden =
        option.value === "whatsapp" ? !opened.whatsapp
        : option.value !== "private" && !opened.groups.includes(Number(option.value));
    }
    select.value = "private";
    showChat(state.userId);
    if (window.matchMedia("(max-width: 800px)").matches) window.scrollTo(0, 0);
  }

  document.querySelectorAll(".person").forEach((button) =>
    button.addEventListener("click", () => openPerson(button))
  );

  $("chat-select").addEventListener("change", (event) => {
    const value = event.target.value;
    showChat(value === "private" ? state.userId : value === "whatsapp" ? value : Number(value));
  });

  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = $("text");
    const text = field.value.trim();
    if (!text) return;
    field.value = "";
    if (onWhatsApp()) {
      await post("/sandbox/whatsapp/" + state.personId + "/text", { text });
    } else {
      const body = { user_id: state.userId, text };
      if (state.chatId !== state.userId) body.chat_id = state.chatId;
      if (state.replyTo !== null) body.reply_to = state.replyTo;
      replyTo(null);
      await post("/sandbox/text", body);
    }
    refresh();
  });

  $("photo").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("user_id", state.userId);
    form.append("file", file);
    const url = onWhatsApp() ? "/sandbox/whatsapp/" + state.personId + "/photo" : "/sandbox/photo";
    await fetch(url, { method: "POST", body: form });
    event.target.value = "";
    refresh();
  });

  $("replying-cancel").addEventListener("click", () => replyTo(null));

  $("share-phone").addEventListener("click", async () => {
    await post("/sandbox/contact", { user_id: state.userId });
    refresh();
  });

  document.querySelectorAll(".clock button").forEach((button) =>
    button.addEventListener("click", async () => {
      const moved = await post("/sandbox/clock", { step: button.dataset.step });
      $("clock-now").textContent = moved.now;
    })
  );

  state.timer = setInterval(refresh, 700);
})();
