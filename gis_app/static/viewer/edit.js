/* editing: filled in later */
