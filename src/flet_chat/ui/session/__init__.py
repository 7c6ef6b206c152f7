"""One Flet session, split by feature. `controller.SessionController` owns the parts and wires
them; imports run one way: controller -> navigation -> conversation; identity and composer
stand alone; every part reaches the page only through `screen.Screen`."""
